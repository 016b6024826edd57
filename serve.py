"""Serve the dashboard: the router (app.py) behind the sign-in gate on Streamlit's own endpoints.

`make run` and `cx app` start this (`streamlit run serve.py` does the same). Streamlit answers some
HTTP endpoints without running the app script, so the sign-in screen cannot guard them
(`/_stcore/metrics` lists sessions and cache names and sizes; uploads, media and component files);
`SignInGate` closes them to anyone sign-in does not admit. While sign-in is off it lets everything
through. `streamlit run app.py` still works without sign-in, but with `[auth]` configured the app
refuses to show anything until it is started through this file.
"""

import faulthandler
import signal

import streamlit as st
from starlette.middleware import Middleware

from ui.auth import SignInGate
from ui.preload import preload

# `kill -USR1 <pid>` writes every thread's stack to the server's stderr: what a stuck page is waiting for
# (the browser tests send it when a test fails, and print the server log's tail).
if hasattr(signal, "SIGUSR1"):
    faulthandler.register(signal.SIGUSR1, all_threads=True)
preload()  # the pages' imports, paid here at start rather than by the first visitor (ui/preload.py)
app = st.App("app.py", middleware=[Middleware(SignInGate)])
