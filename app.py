"""CX Dashboard — the router and the shared frame (page config, data banner, sidebar filters).

Run with ``make run`` (or ``cx app``). Pages live in views/ (not pages/: Streamlit would also serve those files on their own, without this frame); each reads like a description of its UI
and calls the pure core in cx/ through the cached loaders in cx/ui.py.
"""

from pathlib import Path

import streamlit as st

from cx.app import auth, ui

st.set_page_config(page_title="CX Dashboard", page_icon="📈", layout="wide")
auth.require_sign_in()  # signed-out visitors see only the sign-in screen, on every page

HERE = Path(__file__).parent
# (file, title, icon, url path) in menu order; a page appears once its file exists.
PAGES = [
    ("views/overview.py", "Overview", ":material/dashboard:", "overview"),
    ("views/trends.py", "Trends", ":material/show_chart:", "trends"),
    ("views/journeys.py", "Journeys", ":material/route:", "journeys"),
    ("views/incidents.py", "Incidents", ":material/report:", "incidents"),
    ("views/churn.py", "Churn drivers", ":material/trending_down:", "churn"),
    ("views/data.py", "Data", ":material/database:", "data"),
]

pages = [
    st.Page(str(HERE / path), title=title, icon=icon, url_path=url)
    for path, title, icon, url in PAGES
    if (HERE / path).exists()
]
page = st.navigation(pages)
if page.url_path != "data":
    ui.sidebar_filters()
page.run()
