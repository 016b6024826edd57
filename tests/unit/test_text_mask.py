"""Privacy: e-mail addresses, phone numbers and card-like numbers are masked; ordinary numbers are not."""

from __future__ import annotations

import pytest

from cx.text.mask import mask, mask_all


@pytest.mark.parametrize("text, expected", [
    ("mail me at jane.doe+cx@example.co.uk please", "mail me at [email] please"),
    ("card 4111 1111 1111 1111 charged", "card [card] charged"),
    ("card 4111-1111-1111-1111 charged", "card [card] charged"),
    ("card 378282246310005 (amex)", "card [card] (amex)"),
    ("call +44 20 7946 0958 today", "call [phone] today"),
    ("call (555) 123-4567", "call [phone]"),
    ("call 555.123.4567 or 0612345678", "call [phone] or [phone]"),
])
def test_personal_data_is_masked(text, expected):
    assert mask(text) == expected


@pytest.mark.parametrize("text", [
    "waited 3 days for order 12345, paid 49.99",
    "delivered on 2026-03-09 at 10:30",
    "called 5 times in 2 weeks, ticket 884213",
    "rated it 10/10",
])
def test_ordinary_numbers_stay(text):
    assert mask(text) == text


def test_missing_values_pass_through_and_repeats_are_masked_alike():
    assert mask(None) is None
    assert mask_all(["a@b.io", None, "a@b.io", "fine"]) == ["[email]", None, "[email]", "fine"]


def test_no_digit_run_of_a_card_survives():
    text = "my card is 5500 0000 0000 0004 and my phone +1 415 555 2671, email x_y@z.org"
    masked = mask(text)
    assert "5500" not in masked and "2671" not in masked and "@" not in masked
