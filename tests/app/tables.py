"""What a page's tables show, read from an AppTest: each table's columns and those of its detail tables (the
tables ``widgets.dataframe(..., more=[...])`` draws under it, behind a "More columns" expander: one, or several
when its columns would not fit a 1024 px screen in one, each led by the row's name)."""

from __future__ import annotations


def shown(table) -> list[str]:
    """The columns a drawn table shows (its ``column_order``, else every column of its frame)."""
    return list(table.proto.column_order) or [str(c) for c in table.value.columns]


def tables(at) -> list[tuple[object, list]]:
    """Each table of the page with its detail tables (none when it has none), in page order."""
    groups = [list(e.dataframe) for e in at.expander if e.label.startswith("More columns") and len(e.dataframe)]
    detail_ids = {id(d.proto) for group in groups for d in group}
    by_first = {id(group[0].proto): group for group in groups}
    everything = list(at.dataframe)
    out = []
    for i, table in enumerate(everything):
        if id(table.proto) in detail_ids:
            continue
        following = everything[i + 1] if i + 1 < len(everything) else None
        out.append((table, by_first.get(id(following.proto), []) if following is not None else []))
    return out


def assert_nothing_lost(at) -> list[tuple[list[str], list[str]]]:
    """Every column of every table's frame is shown in the table or in its detail tables, which each start with
    the table's first column (the row's name) and hold the same rows; returns each table's columns and its
    details' (the row's name once, then every detail column in order)."""
    found = []
    for table, details in tables(at):
        columns = {str(c) for c in table.value.columns}
        main = shown(table)
        more = []
        for detail in details:
            assert detail.value.equals(table.value), f"{main}: a detail table shows other rows"
            assert shown(detail)[0] == main[0], f"{main}: a detail table does not start with the row's name"
            more += shown(detail)[1:] if more else shown(detail)
        assert set(main) | set(more) == columns, f"{main}: {columns - set(main) - set(more)} shown nowhere"
        found.append((main, more))
    return found
