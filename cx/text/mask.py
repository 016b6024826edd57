"""Privacy: e-mail addresses, phone numbers and card-like numbers masked in comments.

Masking is on by default wherever a comment is shown or exported (the Comments page, ``cx themes
--assignments``, the weekly report). It runs before anything else sees the text, so a masked
number can never become a theme's characteristic word either.

What counts:

- **e-mail address**: ``local@domain.tld`` → ``[email]``;
- **card-like number**: 13–19 digits, optionally grouped by spaces or dashes (every payment card
  number, and IBAN-like digit runs) → ``[card]``; checked before phones, so a card never half-masks;
- **phone number**: 7–15 digits with an optional leading ``+`` and the usual separators
  (spaces, dots, dashes, brackets) → ``[phone]``. Dates (2026-03-09), times and short numbers
  (order quantities, prices, "3 days") have too few digits or the wrong shape and are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
CARD = re.compile(r"(?<![\d])(?:\d[ \-]?){12,18}\d(?![\d])")
PHONE = re.compile(r"(?<![\w+])\+?(?:\(?\d{1,4}\)?[ .\-]?){2,6}\d{2,4}(?![\d])")
_DATE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")


def _phone(match: re.Match) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7 or digits > 15 or _DATE.match(text.strip()):
        return text
    return "[phone]"


def mask(text: str | None) -> str | None:
    """The comment with e-mail addresses, card-like numbers and phone numbers replaced.

    Examples
    --------
    >>> mask("Call me on +44 20 7946 0958 or mail jo@example.com")
    'Call me on [phone] or mail [email]'
    >>> mask("Card 4111 1111 1111 1111 was charged twice on 2026-03-09")
    'Card [card] was charged twice on 2026-03-09'
    """
    if text is None or not isinstance(text, str):
        return text
    text = EMAIL.sub("[email]", text)
    text = CARD.sub("[card]", text)
    return PHONE.sub(_phone, text)


def mask_all(texts: Iterable[str | None]) -> list[str | None]:
    """:func:`mask` over many comments (repeated comments are masked once)."""
    seen: dict[str, str | None] = {}
    out = []
    for text in texts:
        if isinstance(text, str):
            if text not in seen:
                seen[text] = mask(text)
            out.append(seen[text])
        else:
            out.append(text)
    return out
