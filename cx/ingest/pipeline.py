"""The one ingest pipeline: read → suggest (or take a saved mapping) → check → apply → combine → load.

The Data page, ``cx map`` / ``cx load``, ``--source FILE`` and :func:`load_files` all run these
steps, so a file reads, maps and validates the same way wherever it is dropped in::

    item = prepare("tickets.csv")                 # read (within the limits) + mapping to use
    check(item)                                    # the mapping fits the file (page: before Load)
    loaded = run([item], progress=report)          # apply + validate each file, then combine
    source = to_source(loaded, "tickets.csv")      # a private in-memory DuckDB source

or in one call: ``open_files(["tickets.csv", "customers.csv"], mapping="mapping.json")``.
The page edits ``item.mapping`` between :func:`prepare` and :func:`run`; nothing else differs.

A big upload is fast through two steps inside these, not a second pipeline: :func:`prepare`'s read
lets DuckDB split a plain UTF-8 delimited file (:mod:`cx.ingest.fastcsv`, which says what goes the
pandas way and why), and :func:`run`'s validation parses a long column once per distinct value.
Both give the same cells, rows, quarantine and notes as the slow way (tests/unit/test_ingest_fastcsv.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cx.db import Source, memory_source
from cx.ingest.editor import read_mappings
from cx.ingest.limits import Limits, current_limits
from cx.ingest.load import combine, customer_conflicts
from cx.ingest.mapping import Mapping
from cx.ingest.readers import RawTable, read_table
from cx.ingest.sniff import IngestError, is_data_file  # noqa: F401  is_data_file re-exported
from cx.ingest.suggest import LEFT_OUT, suggest_mapping
from cx.ingest.validate import LoadResult, apply_mapping, check_mapping
from cx.schema import IncidentRules, Scales

#: ``progress(fraction done overall, file being loaded)``
Progress = Callable[[float, str], None]
FileLike = str | Path | tuple[str, bytes]
Mappings = Mapping | dict[str, Mapping] | None


@dataclass
class Prepared:
    """A file read and the mapping it will be loaded with (suggested, or given and copied)."""

    raw: RawTable
    mapping: Mapping
    given: bool = False

    @property
    def name(self) -> str:
        return self.raw.name

    @property
    def questions(self) -> list[str]:
        """The suggestion's open questions (none for a saved mapping: its author answered them)."""
        return [] if self.given else list(self.mapping.questions.values())

    @property
    def warnings(self) -> list[str]:
        """What a user must hear even without the mapping on screen: leaking columns mapped anyway, and
        (for a suggestion) the open questions and the columns named like a target but left out."""
        out = list(self.mapping.leak_warnings)
        if not self.given:
            out += [f"'{c}' gives the outcome away ({why}); left out of every role." for c, why in self.mapping.leaks.items()
                    if self.mapping.columns.get(c, "ignore") == "ignore"]
            out += [n for n in self.mapping.notes if LEFT_OUT in n]
        return out


@dataclass
class Loaded:
    """The outcome of :func:`run`: one :class:`LoadResult` per file and the combined canonical frames."""

    results: list[LoadResult]
    interactions: pd.DataFrame
    customers: pd.DataFrame | None
    scales: Scales
    rules: IncidentRules = field(default_factory=IncidentRules)
    warnings: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(r.rows_loaded for r in self.results)


def mapping_for(mapping: Mappings, name: str) -> Mapping | None:
    """One mapping for every file, or the one saved under this file's name (None: suggest one)."""
    return mapping.get(name) if isinstance(mapping, dict) else mapping


def prepare(data: bytes | str | Path, name: str | None = None, *, mapping: Mappings = None, sheet: str | None = None,
            dayfirst: bool | None = None, limits: Limits | None = None) -> Prepared:
    """Read a file and choose its mapping.

    Parameters
    ----------
    data : bytes, str or Path
        As for :func:`cx.ingest.read_table`.
    name : str, optional
        The file name shown in messages (default: the path's name).
    mapping : Mapping or dict of name -> Mapping, optional
        A saved mapping (copied, never changed); without one for this file, the suggestion.
    sheet : str, optional
        The workbook sheet (or JSON key path) to read; default: the mapping's, else the reader's choice.
    dayfirst : bool, optional
        Overrides the mapping's date order (``cx load --dayfirst`` / ``--monthfirst``).
    limits : Limits, optional
        Default: :func:`cx.ingest.limits.current_limits`.

    Raises
    ------
    IngestError
        The file cannot be read (the message names it).
    """
    path_name = Path(data).name if isinstance(data, Path) else None
    given = mapping_for(mapping, name or path_name or "")
    wanted = sheet if sheet is not None else given.sheet if given is not None else None
    raw = read_table(data, name, sheet=wanted, limits=limits or current_limits())
    chosen = copy.deepcopy(given) if given is not None else suggest_mapping(raw)
    if dayfirst is not None:
        chosen.dayfirst = dayfirst
    return Prepared(raw, chosen, given=given is not None)


def check(item: Prepared, limits: Limits | None = None) -> None:
    """Raise :class:`IngestError` when the item's mapping cannot be applied (the page checks before Load)."""
    check_mapping(item.raw, item.mapping, limits)


def run(items: Sequence[Prepared], progress: Progress | None = None, limits: Limits | None = None) -> Loaded:
    """Apply and validate each prepared file, then combine interactions and customers.

    ``progress(fraction, name)`` is called as the columns of each file are processed. Incident
    rules travel with the first file's mapping.
    """
    limits = limits or current_limits()
    results = []
    for number, item in enumerate(items):
        def step(fraction: float, number=number, name=item.name) -> None:
            progress(min(1.0, (number + fraction) / len(items)), name)

        results.append(apply_mapping(item.raw, item.mapping, progress=step if progress else None, limits=limits))
    interactions, customers, scales = combine(results)
    rules = items[0].mapping.rules if items else IncidentRules()
    warnings = [f"{item.name}: {warning}" for item in items for warning in item.warnings] + customer_conflicts(results)
    questions = [f"{item.name}: {question}" for item in items for question in item.questions]
    return Loaded(results, interactions, customers, scales, rules, warnings, questions)


def _name_and_data(item: FileLike) -> tuple[str, bytes | Path]:
    if isinstance(item, tuple):
        name, data = item
        return str(name), data
    path = Path(item)
    return path.name, path


def ingest(files: Iterable[FileLike], mapping: Mappings = None, *, dayfirst: bool | None = None,
           progress: Progress | None = None, limits: Limits | None = None,
           missing: dict[str, list[float]] | None = None) -> Loaded:
    """:func:`prepare` and :func:`run` for several files (paths or ``(name, bytes)``).

    ``missing`` adds declared missing codes (column or ``"*"`` -> codes) to every file's mapping;
    a column a file does not map to a score is skipped for that file.
    """
    limits = limits or current_limits()
    items = [prepare(data, name, mapping=mapping, dayfirst=dayfirst, limits=limits)
             for name, data in (_name_and_data(f) for f in files)]
    used = {c for item in items for c in declare_missing(item.mapping, missing or {})}
    unused = [c for c in missing or {} if c != "*" and c not in used]
    if unused:
        raise IngestError(f"missing codes are declared for {', '.join(repr(c) for c in unused)}, which no file maps to "
                          "a score or rating column; check the column name (as in the file's header) or map it first")
    return run(items, progress, limits)


def declare_missing(mapping: Mapping, missing: dict[str, list[float]]) -> list[str]:
    """Add missing codes to a mapping: ``"*"`` always, a named column where this file maps it to a score.
    Returns the columns it declared codes for."""
    scored = {c for c, t in mapping.columns.items() if t in ("nps", "csat", "ces", "rating")}
    declared = []
    for column, codes in missing.items():
        if column == "*" or column in scored:
            current = mapping.missing.setdefault(column, [])
            current += [c for c in codes if c not in current]
            declared.append(column)
    return declared


def to_source(loaded: Loaded, label: str) -> Source:
    """The loaded frames in a private in-memory DuckDB (one per call: sessions never share one)."""
    return memory_source(loaded.interactions, loaded.customers, scales=loaded.scales, label=label, rules=loaded.rules)


def read_mapping_file(path: str | Path) -> Mapping | dict[str, Mapping]:
    """A mapping JSON saved from the Data page or ``cx map`` (one mapping, or file name -> mapping)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IngestError(f"{path}: no such mapping file") from None
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return read_mappings(data.decode("utf-8-sig", errors="replace"), path.name)


def open_files(paths: Sequence[str | Path], mapping: Mappings | str | Path = None, *, dayfirst: bool | None = None,
               progress: Progress | None = None, limits: Limits | None = None) -> Source:
    """Data files as a :class:`cx.db.Source` (``--source FILE``): mapped, validated, combined, loaded.

    Parameters
    ----------
    paths : sequence of path
        One or more exports (e.g. an interactions file and a customers file).
    mapping : Mapping, dict, or path of a mapping JSON, optional
        Default: each file's suggested mapping.

    Raises
    ------
    IngestError
        A file (or the mapping file) that cannot be read, mapped or combined; the message names it.
    """
    for path in paths:
        if not Path(path).is_file():
            raise IngestError(f"{path}: no such file")
    if isinstance(mapping, (str, Path)):
        mapping = read_mapping_file(mapping)
    loaded = ingest([Path(p) for p in paths], mapping, dayfirst=dayfirst, progress=progress, limits=limits)
    return to_source(loaded, ", ".join(Path(p).name for p in paths))


def load_files(files: Iterable[FileLike], mapping: Mappings = None,
               progress: Callable[[float], None] | None = None) -> list[LoadResult]:
    """Read, map and validate files: the :class:`LoadResult` of each, in order (see :func:`ingest`).

    ``progress`` is called with the overall fraction done in [0, 1].
    """
    report = (lambda fraction, _name: progress(fraction)) if progress else None
    return ingest(files, mapping, progress=report).results
