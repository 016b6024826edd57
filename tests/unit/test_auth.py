import pytest

from cx.app.auth import is_allowed, normalise_allow_list


@pytest.mark.parametrize(
    ("email", "allowed", "expected"),
    [
        ("ann@example.org", ["ann@example.org"], True),
        ("ANN@Example.org ", ["ann@example.org"], True),
        ("bob@example.org", ["@example.org"], True),
        ("bob@sub.example.org", ["@example.org"], False),
        ("bob@example.org.evil.com", ["@example.org"], False),
        ("eve@evil.com", ["ann@example.org", "@example.org"], False),
        ("ann@example.org", [], False),
        ("ann@example.org", None, False),
        (None, ["@example.org"], False),
        ("not-an-address", ["not-an-address"], False),
        ("ann@example.org", "x@y.z, @example.org", True),
    ],
)
def test_allow_list(email, allowed, expected):
    assert is_allowed(email, allowed) is expected


def test_normalise_drops_blanks():
    assert normalise_allow_list(" A@B.c ,, ") == ("a@b.c",)
