"""CX Dashboard — the router and the shared frame (page config, sign-in gate, sidebar filters).

Run with ``make run`` (or ``cx app``). Pages live in views/, not pages/: Streamlit serves the
files of a pages/ folder on their own when a fresh session's first request is a deep link
(``/trends?channel=chat``), without running this router — no sign-in gate, no filters.
tests/e2e/test_deep_link_e2e.py guards that. Each page reads like a description of its UI and
calls the pure core in cx/ through the Streamlit adapter in ui/.
"""

from pathlib import Path

import streamlit as st

# scikit-learn (cx.churn), imported here before any page starts a background job: two job threads importing it at
# once met it half initialised ("cannot import name 'clone' from partially initialized module 'sklearn.base'")
import cx.churn  # noqa: F401
from ui import auth, widgets

st.set_page_config(page_title="CX Dashboard", page_icon="📈", layout="wide")
auth.require_sign_in()  # signed-out visitors see only the sign-in screen, on every page

HERE = Path(__file__).parent
# (file, title, icon, url path) in menu order; the first is the start page, served at "/".
PAGES = [
    ("views/overview.py", "Overview", ":material/dashboard:", "overview"),
    ("views/trends.py", "Trends", ":material/show_chart:", "trends"),
    ("views/journeys.py", "Journeys", ":material/route:", "journeys"),
    ("views/incidents.py", "Incidents", ":material/report:", "incidents"),
    ("views/churn.py", "Churn drivers", ":material/trending_down:", "churn"),
    ("views/followup.py", "Follow-up", ":material/assignment_ind:", "followup"),
    ("views/teams.py", "Teams", ":material/groups:", "teams"),
    ("views/comments.py", "Comments", ":material/forum:", "comments"),
    ("views/drivers.py", "Drivers", ":material/insights:", "drivers"),
    ("views/data.py", "Data", ":material/database:", "data"),
]
# Pages that choose the data rather than analyse them get no sidebar filters.
WITHOUT_FILTERS = {"data"}

page = st.navigation([st.Page(str(HERE / path), title=title, icon=icon, url_path=url)
                      for path, title, icon, url in PAGES])
widgets.run_page(page, filters=page.url_path not in WITHOUT_FILTERS)
