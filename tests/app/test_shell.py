"""The app shell: it starts on the demo, and the optional sign-in gate keeps strangers out."""

import pytest


def _auth_secrets(at, allowed):
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "cx", "client_secret": "s",
                          "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration"}
    at.secrets["access"] = {"allowed": allowed}


def test_app_starts_on_the_demo(app):
    at = app().run()
    assert not at.exception
    assert at.sidebar.multiselect(key="f.channels").options  # filters built from the demo's channels


def test_filters_come_from_the_url(app):
    at = app()
    at.query_params["channel"] = "chat,email"
    at.query_params["grain"] = "month"
    at.run()
    assert not at.exception
    assert sorted(at.sidebar.multiselect(key="f.channels").value) == ["chat", "email"]
    assert at.sidebar.selectbox(key="f.grain").value == "month"


def test_signed_out_visitors_see_only_sign_in(app):
    at = app()
    _auth_secrets(at, ["@example.org"])
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.sidebar.multiselect


def test_signed_in_stranger_is_refused(app):
    at = app()
    _auth_secrets(at, ["@example.org"])
    at.user = {"is_logged_in": True, "email": "eve@evil.com", "email_verified": True}
    at.run()
    assert not at.exception
    assert "not on this dashboard's allow-list" in at.error[0].value
    assert not at.sidebar.multiselect


def test_signed_in_colleague_gets_in(app):
    at = app()
    _auth_secrets(at, ["@example.org"])
    at.user = {"is_logged_in": True, "email": "ann@example.org", "email_verified": True}
    at.run()
    assert not at.exception
    assert at.sidebar.multiselect(key="f.channels").options


# A link's settings, each page: every widget must be drawn with the value it shows as its default. The browser
# falls back to a widget's default when it draws the widget again; with a default other than the value shown
# (the smallest minimum n, an empty multiselect, the slider's minimum), a share link lost its settings at random.
LINKS = {
    "views/overview.py": {"week": "2026-W40", "min_n": "5", "channel": "chat", "grain": "month"},
    "views/trends.py": {"metric": "csat", "by": "journey_stage", "lines": "all", "stage": "purchase"},
    "views/journeys.py": {"heat": "incident_rate", "flow": "channel", "steps": "3", "segment": "enterprise"},
    "views/incidents.py": {"sort": "recency", "journeys": "unrecovered", "min_n": "7", "outcome": "lifetime_value"},
}


def _default_is_the_value(widget) -> bool:
    default = widget.proto.default
    if hasattr(widget, "indices"):  # multiselect, segmented control: indices of the chosen options
        return sorted(default) == sorted(widget.indices)
    if hasattr(widget, "index"):  # selectbox
        return default == widget.index
    value = widget.value
    if not isinstance(default, (int, float)):  # a slider: its default is a list (two values for a range)
        return [float(v) for v in default] == [float(v) for v in (value if isinstance(value, (tuple, list)) else [value])]
    return default == value


@pytest.mark.parametrize("page", list(LINKS))
def test_a_link_draws_every_widget_with_its_value_as_default(app, page):
    at = app(page)
    for key, value in LINKS[page].items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    widgets = [w for w in [*at.selectbox, *at.multiselect, *at.number_input, *at.slider, *at.get("button_group")]
               if getattr(w, "key", None)]
    assert widgets
    wrong = {w.key: (w.value, str(w.proto.default))
             for w in widgets if not _default_is_the_value(w)}
    assert not wrong, wrong
    at.run()  # and on the next run, when each widget holds its own value
    assert not at.exception
    assert not [w.key for w in [*at.selectbox, *at.multiselect, *at.number_input, *at.slider, *at.get("button_group")]
                if getattr(w, "key", None) and not _default_is_the_value(w)]
    shown = {w.key: w.value for w in widgets}
    assert {k for k, v in shown.items() if v in (5, 7, 3, "month", "recency", "incident_rate", ["unrecovered"],
                                                  "2026-W40", "csat", "journey_stage", "all")}, shown
