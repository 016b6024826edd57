"""What the warehouse account may do beyond reading: checked at connect, shown as a warning.

The app's sessions are read-only whatever the account may do, but an account that can write,
read server files or administer the server is one mistake away from harm. The README's
"Deployment" section lists the grants the account needs: ``SELECT`` on the mapped tables only.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from cx.db.errors import connected

_PG_FILE_ROLES = ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program",
                  "pg_write_all_data")
_PG_WRITABLE = sa.text("""
    SELECT format('%I.%I', table_schema, table_name) AS name
    FROM information_schema.tables
    WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
      AND (has_table_privilege(format('%I.%I', table_schema, table_name), 'INSERT')
           OR has_table_privilege(format('%I.%I', table_schema, table_name), 'UPDATE')
           OR has_table_privilege(format('%I.%I', table_schema, table_name), 'DELETE')
           OR has_table_privilege(format('%I.%I', table_schema, table_name), 'TRUNCATE'))
    ORDER BY 1
    LIMIT 6
""")
#: MariaDB / MySQL privileges that only read.
_MYSQL_READING = {"SELECT", "USAGE", "SHOW VIEW", "SHOW DATABASES"}


def _listed(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (" and more" if len(names) > limit else "")


def _postgresql(con: sa.Connection) -> list[str]:
    found = []
    if con.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
        found.append("it is a superuser (it can read and write anything, server files included)")
    roles = [r for (r,) in con.execute(sa.text(
        "SELECT rolname FROM pg_roles WHERE rolname IN :names AND pg_has_role(current_user, oid, 'USAGE') ORDER BY 1"
    ).bindparams(sa.bindparam("names", expanding=True)), {"names": list(_PG_FILE_ROLES)})]
    if roles:
        found.append(f"it holds {_listed(roles)} (server files or all data)")
    writable = [r for (r,) in con.execute(_PG_WRITABLE)]
    if writable:
        found.append(f"it can write to {_listed(writable)}")
    return found


def mysql_privileges(grants: list[str]) -> list[str]:
    """What ``SHOW GRANTS`` lines allow beyond reading, as short phrases (never the raw lines).

    Examples
    --------
    >>> mysql_privileges(["GRANT SELECT ON `cx`.* TO `r`@`%`", "GRANT FILE ON *.* TO `r`@`%`"])
    ['FILE on *.*']
    """
    found = []
    for line in grants:
        match = re.match(r"(?is)^GRANT\s+(.+?)\s+ON\s+(?:(?:TABLE|FUNCTION|PROCEDURE|PACKAGE(?: BODY)?)\s+)?(\S+)\s+TO\s", line)
        if match is None:
            role = re.match(r"(?is)^GRANT\s+(.+?)\s+TO\s", line)
            if role:
                found.append(f"the role {role.group(1).strip()} (check its privileges)")
            continue
        privileges = [re.sub(r"\s*\(.*?\)", "", p).strip().upper() for p in re.split(r",(?![^(]*\))", match.group(1))]
        beyond = [p for p in privileges if p and p not in _MYSQL_READING]
        if re.search(r"(?i)WITH\s+GRANT\s+OPTION", line):
            beyond.append("GRANT OPTION")
        if beyond:
            found.append(f"{', '.join(beyond)} on {match.group(2)}")
    return found


def _mysql(con: sa.Connection) -> list[str]:
    lines = [str(row[0]) for row in con.execute(sa.text("SHOW GRANTS"))]
    privileges = mysql_privileges(lines)
    return [f"it has {_listed(privileges, 4)}"] if privileges else []


def account_warnings(engine: sa.Engine) -> list[str]:
    """Why the warehouse account can do more than ``SELECT``, as sentences for a warning (empty when it can't).

    PostgreSQL: superuser, membership of the server-file roles, write privileges on visible tables.
    MariaDB / MySQL: any privilege in ``SHOW GRANTS`` beyond reading (``FILE``, ``ALL``, ``INSERT``…).
    Local DuckDB and SQLite files are opened read-only and have no accounts.
    """
    name = engine.dialect.name
    if name not in ("postgresql", "mysql", "mariadb"):
        return []
    with connected(engine, "checking the warehouse account's privileges failed") as con:
        found = _postgresql(con) if name == "postgresql" else _mysql(con)
    if not found:
        return []
    return [f"The warehouse account can do more than read: {'; '.join(found)}. The app's sessions are "
            "read-only, but give the account SELECT on the mapped tables only (see Deployment in the README)."]
