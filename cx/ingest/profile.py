"""What a column's values look like (numbers, dates, flags, ids, free text), from a sample."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cx.ingest import parse
from cx.ingest.vocabulary import COUNT_WORDS, FALSE_WORDS, TRUE_WORDS, normalise

SAMPLE_ROWS = 20_000
#: distinct values per column tried as dates: free-form ones cost ~0.5 ms each (dateutil), so a
#: column of 20,000 distinct ids would take 10 s; a thousand estimate the share just as well
DATE_SAMPLE = 1_000
_SCALE_HINT = re.compile(r"(\d{1,3})\s*(?:-|–|—|to|bis|à|a|tot|/)\s*(\d{1,3})")


@dataclass
class Profile:
    """Value statistics of one column (from a deterministic sample of the rows)."""

    name: str
    words: tuple[str, ...]
    n: int = 0  # non-missing sample values
    distinct: int = 0
    numeric: float = 0.0  # share of values read as numbers
    integers: float = 0.0
    low: float = np.nan
    high: float = np.nan
    p95: float = np.nan
    zeros: int = 0
    within10: float = 0.0  # share of numbers in 0–10
    within100: float = 0.0
    ones: int = 0
    percent: float = 0.0
    decimal_commas: float = 0.0  # share written 1,5 in a file whose numbers use a decimal point
    denominators: tuple[float, ...] = ()
    likert: float = 0.0
    dates: float = 0.0
    clock: float = 0.0
    serial_dates: float = 0.0  # Excel serial day numbers or Unix epochs (only dates if the header says so)
    length: float = 0.0  # mean text length
    spaces: float = 0.0  # share of values containing a space
    rows: int = 0  # sample rows, missing cells included (n / rows = how full the column is)
    letters: float = 0.0  # share of values with a word of two or more letters
    word_count: float = 0.0  # mean words per value
    names: float = 0.0  # share of values written like a proper name (every word capitalised, at most five words)
    scientific: float = 0.0  # share written like 5.70306E+17: an id a spreadsheet rounded (digits lost)
    values: tuple[str, ...] = ()  # distinct lower-cased values when there are few
    examples: tuple[str, ...] = ()
    scale_hint: tuple[float, float] | None = None
    na_codes: tuple[float, ...] = ()  # values like -1 or 99 beside small whole answers: "no answer" codes
    numbers: pd.Series = field(default=None, repr=False)

    @property
    def flag(self) -> bool:
        """Two-valued (or every value a yes/no word)."""
        if not self.n:
            return False
        words = set(self.values)
        return 1 <= self.distinct <= 2 or (self.distinct <= 4 and words <= (TRUE_WORDS | FALSE_WORDS))

    @property
    def rating(self) -> bool:
        """Small whole numbers 0–10 (not only 0 and 1, which is a flag; not a count by its name): a rating."""
        return self.n > 0 and self.numeric >= 0.8 and self.integers >= 0.95 and self.low >= 0 and self.high <= 10 \
            and self.distinct >= 2 and not self.zero_one and not (set(self.words) & COUNT_WORDS)

    @property
    def id_like(self) -> bool:
        return self.n > 0 and self.length <= 64 and self.dates < 0.5 and self.spaces < 0.2 \
            and not (self.numeric >= 0.8 and self.integers < 0.9) and self.scientific < 0.5

    @property
    def free_text(self) -> bool:
        """Sentences people wrote: letters, several words, mostly distinct, not names (a reviewer, a company)."""
        return self.n > 0 and self.numeric < 0.5 and self.dates < 0.5 and (self.length >= 20 or self.spaces >= 0.5) \
            and self.distinct >= max(2, 0.3 * self.n) and self.letters >= 0.5 and self.names < 0.6

    @property
    def fill(self) -> float:
        """Share of the sampled rows that hold a value."""
        return self.n / self.rows if self.rows else 0.0

    @property
    def zero_one(self) -> bool:
        """Numbers 0 and 1 only: a flag written as numbers, not a rating, a score or an amount."""
        return self.n > 0 and self.numeric >= 0.99 and self.distinct <= 2 and self.low >= 0 and self.high <= 1


def header_words(name: str) -> tuple[str, ...]:
    """Header words for matching: numbering ("Q3.") and scale hints ("(1-5)") removed."""
    text = _SCALE_HINT.sub(" ", str(name))
    words = normalise(text).split()
    return tuple(w for w in words if not w.isdigit() and not re.fullmatch(r"q\d+[a-z]?", w))


def sample(frame: pd.DataFrame, rows: int = SAMPLE_ROWS) -> pd.DataFrame:
    """The first half of ``rows`` plus evenly spaced rows from the rest (deterministic)."""
    if len(frame) <= rows:
        return frame
    half = rows // 2
    rest = np.linspace(half, len(frame) - 1, rows - half).astype(int)
    return frame.iloc[np.unique(np.concatenate([np.arange(half), rest]))]


def profile(values: pd.Series, name: str, decimal: str = ".") -> Profile:
    """Describe a sample of one column's values."""
    frame = pd.DataFrame({name: values.reset_index(drop=True)})
    return profiles(frame, decimal)[name]


def _hint(name: str) -> tuple[float, float] | None:
    if "%" in str(name):
        return (0.0, 100.0)
    hint = _SCALE_HINT.search(str(name))
    if hint:
        low, high = float(hint.group(1)), float(hint.group(2))
        if high > low and high <= 100:
            return (low, high)
    return None


def profiles(frame: pd.DataFrame, decimal: str = ".") -> dict[str, Profile]:
    """Profiles of every column at once: the columns are stacked into one long Series so that a
    300-column file costs about what one long column costs."""
    names_of = list(frame.columns)
    out = {c: Profile(name=c, words=header_words(c), scale_hint=_hint(c), rows=len(frame)) for c in names_of}
    if frame.empty or not names_of:
        return out
    stacked = pd.concat([frame[c].astype("str") for c in names_of], ignore_index=True)
    codes_all = np.repeat(np.arange(len(names_of)), len(frame))
    keep = ~parse.missing(stacked)
    text = parse.text(stacked)[keep].reset_index(drop=True)
    codes = pd.Series(codes_all[keep.to_numpy()])
    if text.empty:
        return out
    lower = text.str.lower()
    n = codes.value_counts()
    pairs = pd.DataFrame({"c": codes, "v": lower}).drop_duplicates()
    distinct = pairs.groupby("c").size()
    few = pairs[pairs["c"].map(distinct) <= 6].groupby("c")["v"].agg(lambda v: tuple(sorted(str(x) for x in v)))
    firsts = pd.DataFrame({"c": codes, "t": text}).drop_duplicates()
    examples = firsts.groupby("c").head(5).groupby("c")["t"].agg(tuple)
    lengths = text.str.len()
    length = lengths.groupby(codes).mean()
    longest = lengths.groupby(codes).max()
    # "Caller 2403", "Ticket #77": a code with a word in front is an id, not words (its space does not count)
    coded = text.str.fullmatch(r"[^\W\d_]{1,20} ?[#-]?\d{1,12}").fillna(False).astype(bool)
    spaces = (text.str.contains(" ", regex=False) & ~coded).groupby(codes).mean()
    letters = text.str.contains(r"[^\W\d_]{2}", regex=True).groupby(codes).mean()
    word_count = text.str.count(r"\S+").groupby(codes).mean()
    # the word after a capital is taken whole (``*+``): split every way it took exponential time on a long
    # run of capitals ("GREAT SERVICE!!!" in a review column held the suggestion for minutes)
    names = text.str.fullmatch(r"(?:[^\W\d_][\w'.&-]*|&)(?:\s+(?:[^\W\d_][\w'.&-]*|&|of|and|de|la|von|van)){0,5}") \
        .fillna(False).astype(bool) & text.str.fullmatch(r"(?:(?:[A-Z\u00C0-\u00DE][^\s]*+|&|of|and|de|la|von|van)\s*)+") \
        .fillna(False).astype(bool)
    names = names.groupby(codes).mean()
    scientific = text.str.fullmatch(r"[+-]?[0-9](?:[.,][0-9]+)?[eE][+][0-9]{1,3}").fillna(False).astype(bool)
    scientific = scientific.groupby(codes).mean()
    nums = parse.numbers(text, decimal, likert=True)
    number = nums.values
    read = number.notna()
    numeric = read.groupby(codes).sum() / n
    symbolic = text.str.match(r"^[ \t0-9.,%/+-]+$").fillna(False).astype(bool)
    likert = (read & ~symbolic).groupby(codes).mean()
    percent = nums.percent.groupby(codes).mean()
    commas = (nums.bad & text.str.fullmatch(parse.DECIMAL_COMMA).fillna(False).astype(bool)) if decimal == "." \
        else pd.Series(False, index=text.index)
    decimal_commas = commas.groupby(codes).mean()
    clock = text.str.match(r"^(?:[0-9]+[ .d]+)?[0-9]{1,3}:[0-9]{2}(?::[0-9]{2})?$").fillna(False).astype(bool).groupby(codes).mean()
    valued = pd.DataFrame({"c": codes[read], "x": number[read]})
    stats = valued.groupby("c")["x"]
    described = pd.DataFrame({
        "integers": (valued["x"] % 1 == 0).groupby(valued["c"]).mean(),
        "low": stats.min(), "high": stats.max(), "p95": stats.quantile(0.95),
        "within10": valued["x"].between(0, 10).groupby(valued["c"]).mean(),
        "within100": valued["x"].between(0, 100).groupby(valued["c"]).mean(),
        "zeros": (valued["x"] == 0).groupby(valued["c"]).sum(), "ones": (valued["x"] == 1).groupby(valued["c"]).sum(),
        "serial": (valued["x"].between(20_000, 80_000) | valued["x"].between(1e9, 4.2e9)
                   | valued["x"].between(1e12, 4.2e12)).groupby(valued["c"]).mean(),
    })
    denominators = nums.denominator.dropna().groupby(codes[nums.denominator.notna()]).agg(lambda d: tuple(sorted(set(d))))
    numbers_by_column = dict(tuple(valued.groupby("c")["x"]))
    date_share = _date_shares(firsts, numeric, longest)
    for code, column in enumerate(names_of):
        p = out[column]
        p.rows = len(frame)
        p.n = int(n.get(code, 0))
        if not p.n:
            continue
        p.distinct = int(distinct.get(code, 0))
        p.values = few.get(code, ())
        p.examples = tuple(str(e) for e in examples.get(code, ()))
        p.length, p.spaces = float(length.get(code, 0.0)), float(spaces.get(code, 0.0))
        p.letters, p.word_count = float(letters.get(code, 0.0)), float(word_count.get(code, 0.0))
        p.names = float(names.get(code, 0.0))
        p.scientific = float(scientific.get(code, 0.0))
        p.numeric, p.likert = float(numeric.get(code, 0.0)), float(likert.get(code, 0.0))
        p.percent, p.clock = float(percent.get(code, 0.0)), float(clock.get(code, 0.0))
        p.decimal_commas = float(decimal_commas.get(code, 0.0))
        p.denominators = denominators.get(code, ())
        p.dates = 0.0 if p.clock > 0.8 else float(date_share.get(code, 0.0))
        if code in described.index:
            row = described.loc[code]
            p.integers, p.low, p.high, p.p95 = float(row.integers), float(row.low), float(row.high), float(row.p95)
            p.within10, p.within100 = float(row.within10), float(row.within100)
            p.zeros, p.ones = int(row.zeros), int(row.ones)
            p.serial_dates = float(row.serial) if p.numeric >= 0.9 else 0.0
            p.numbers = numbers_by_column[code].reset_index(drop=True)
            _set_aside_codes(p)
    return out


#: values exports write for "no answer" beside a rating's answers
NA_CODE_CANDIDATES = (-1.0, -2.0, -9.0, -99.0, -999.0, 98.0, 99.0, 999.0, 9999.0)


def _set_aside_codes(p: Profile) -> None:
    """Answers 0–10 plus a few -1 / 99 cells: the codes are "no answer", and the statistics describe the
    answers only (so the column still reads as a rating and its scale is the answers')."""
    values = p.numbers
    coded = values.isin(NA_CODE_CANDIDATES)
    core = values[~coded]
    if not coded.any() or core.empty or p.integers < 0.95:
        return
    if not (core.between(0, 10).all() and (core % 1 == 0).all() and core.nunique() >= 2):
        return
    p.na_codes = tuple(sorted(float(v) for v in values[coded].unique()))
    p.numbers = core.reset_index(drop=True)
    p.low, p.high, p.p95 = float(core.min()), float(core.max()), float(core.quantile(0.95))
    p.zeros, p.ones = int((core == 0).sum()), int((core == 1).sum())
    p.distinct = int(core.nunique()) + len(p.na_codes)
    p.within10 = p.within100 = 1.0


def _date_shares(firsts: pd.DataFrame, numeric: pd.Series, longest: pd.Series) -> pd.Series:
    """Share of each column's distinct values that read as dates (plain numbers never count)."""
    wanted = numeric.index[(numeric < 0.9) | (longest.reindex(numeric.index) >= 5)]
    candidates = firsts[firsts["c"].isin(wanted)].groupby("c").head(DATE_SAMPLE).reset_index(drop=True)
    if candidates.empty:
        return pd.Series(dtype=float)
    values = candidates["t"].astype("str")
    readable = parse.dates(values, dayfirst=True)[0].notna()
    if not readable.all():
        readable |= parse.dates(values, dayfirst=False)[0].notna()
    plain = values.str.fullmatch(r"[+-]?[0-9]+(?:\.[0-9]+)?").fillna(False).astype(bool)
    share = readable.groupby(candidates["c"]).mean()
    plain_share = plain.groupby(candidates["c"]).mean()
    return share.where(plain_share <= 0.5, 0.0)
