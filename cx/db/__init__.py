"""The database layer: where SQL meets a database, read-only.

One purpose per module:

- :mod:`~cx.db.source` — :class:`Source` (an engine plus canonical selectables) and
  :meth:`Source.read`, the one way a query runs; every driver error becomes one
  :class:`SourceError` line with the password masked;
- :mod:`~cx.db.connect` — open a warehouse URL or a database file, read-only, probed once;
- :mod:`~cx.db.safety` — what a URL may reach: drivers, option allow-lists, data folders, hosts;
- :mod:`~cx.db.session` — read-only sessions, statement and connect timeouts, locked DuckDB;
- :mod:`~cx.db.grants` — a warning when the warehouse account can do more than read;
- :mod:`~cx.db.local` — the demo warehouse and the session's uploads (private in-memory DuckDB);
- :mod:`~cx.db.summary` — what a source holds;
- :mod:`~cx.db.where` — the one scope filter (dates, channels, stages, segments);
- :mod:`~cx.db.dialects` — SQL constructs compiled per dialect (``@compiles``);
- :mod:`~cx.db.errors` — masking and translating errors.

The layer imports nothing above it (no :mod:`cx.ingest`, no streamlit).
"""

from typing import TYPE_CHECKING

from cx.lazy import exports

# The names below are imported on first use (PEP 562), so that a command reading one database
# (``cx metrics --source warehouse.duckdb``) loads neither the demo generator (cx.demo) nor the
# summary, grants and upload modules it does not run.
_HOME = {
    "connect": "connect", "list_tables": "connect", "open_database": "connect", "open_warehouse": "connect",
    "ScopeError": "errors", "SourceError": "errors", "safe_url": "errors", "scrub": "errors",
    "account_warnings": "grants",
    "demo_source": "local", "memory_source": "local", "release": "local", "typed_frame": "local",
    "OPERATOR": "safety", "Access": "safety", "url_entry_allowed": "safety", "visitor_access": "safety",
    "Source": "source", "read_frame": "source", "table_source": "source",
    "SourceSummary": "summary", "attribute_values": "summary", "summarize": "summary",
}


__getattr__ = exports(__name__, _HOME)


if TYPE_CHECKING:
    from cx.db.connect import connect, list_tables, open_database, open_warehouse
    from cx.db.errors import ScopeError, SourceError, safe_url, scrub
    from cx.db.grants import account_warnings
    from cx.db.local import demo_source, memory_source, release, typed_frame
    from cx.db.safety import OPERATOR, Access, url_entry_allowed, visitor_access
    from cx.db.source import Source, read_frame, table_source
    from cx.db.summary import SourceSummary, attribute_values, summarize

__all__ = [
    "OPERATOR",
    "Access",
    "ScopeError",
    "Source",
    "SourceError",
    "SourceSummary",
    "account_warnings",
    "attribute_values",
    "connect",
    "demo_source",
    "list_tables",
    "memory_source",
    "open_database",
    "open_warehouse",
    "read_frame",
    "release",
    "safe_url",
    "scrub",
    "summarize",
    "table_source",
    "typed_frame",
    "url_entry_allowed",
    "visitor_access",
]
