"""Who may see the dashboard when sign-in is configured (pure rules; the UI lives in cx/ui.py).

Sign-in is off by default. When ``[auth]`` is present in ``.streamlit/secrets.toml`` the app uses
Streamlit's OIDC sign-in, and only addresses on the allow-list in ``[access]`` get in::

    [access]
    allowed = ["alice@example.com", "@example.org"]   # an entry starting with @ is a whole domain

An empty or missing allow-list lets nobody in: a misconfiguration fails closed.
"""

from __future__ import annotations

from collections.abc import Iterable


def normalise_allow_list(entries: Iterable[str] | str | None) -> tuple[str, ...]:
    """Lower-cased, stripped entries; a comma-separated string is accepted too."""
    if entries is None:
        return ()
    if isinstance(entries, str):
        entries = entries.split(",")
    return tuple(e.strip().lower() for e in entries if e and e.strip())


def is_allowed(email: str | None, allowed: Iterable[str] | str | None) -> bool:
    """Whether a signed-in address is on the allow-list (exact address or ``@domain``).

    Examples
    --------
    >>> is_allowed("Ann@Example.org", ["@example.org"])
    True
    >>> is_allowed("ann@example.org.evil.com", ["@example.org"])
    False
    """
    if not email or "@" not in email:
        return False
    email = email.strip().lower()
    domain = "@" + email.rsplit("@", 1)[1]
    for entry in normalise_allow_list(allowed):
        if entry.startswith("@") and domain == entry:
            return True
        if email == entry:
            return True
    return False
