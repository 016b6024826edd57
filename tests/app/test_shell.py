"""The app shell: it starts on the demo, and the optional sign-in gate keeps strangers out."""


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
