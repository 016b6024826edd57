"""What a page's tables show, read from an AppTest: each table's columns and those of its detail table (the
table ``widgets.dataframe(..., more=[...])`` draws under it, behind a "More columns" expander)."""

from __future__ import annotations


def shown(table) -> list[str]:
    """The columns a drawn table shows (its ``column_order``, else every column of its frame)."""
    return list(table.proto.column_order) or [str(c) for c in table.value.columns]


def tables(at) -> list[tuple[object, object | None]]:
    """Each table of the page with its detail table (None when it has none), in page order."""
    details = [e.dataframe[0] for e in at.expander if e.label.startswith("More columns") and len(e.dataframe)]
    detail_ids = {id(d.proto) for d in details}
    everything = list(at.dataframe)
    out = []
    for i, table in enumerate(everything):
        if id(table.proto) in detail_ids:
            continue
        following = everything[i + 1] if i + 1 < len(everything) else None
        out.append((table, following if following is not None and id(following.proto) in detail_ids else None))
    return out


def assert_nothing_lost(at) -> list[tuple[list[str], list[str]]]:
    """Every column of every table's frame is shown in the table or in its detail table, which starts with the
    table's first column (the row's name) and holds the same rows; returns each table's and detail's columns."""
    found = []
    for table, detail in tables(at):
        columns = {str(c) for c in table.value.columns}
        main = shown(table)
        more = shown(detail) if detail is not None else []
        if detail is not None:
            assert detail.value.equals(table.value), f"{main}: the detail table shows other rows"
            assert more[0] == main[0], f"{main}: the detail table does not start with the row's name"
        assert set(main) | set(more) == columns, f"{main}: {columns - set(main) - set(more)} shown nowhere"
        found.append((main, more))
    return found
