"""Issue 13, the URL field as an attacker uses it: driver options, network probes, server files, passwords.

Each test is an attack that worked on the old code. PostgreSQL and MariaDB run when CX_TEST_PG_URL /
CX_TEST_MYSQL_URL are set (and must then be reachable), like every SQL test.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from cx.db import OPERATOR, SourceError, account_warnings, open_warehouse, visitor_access
from cx.db.safety import Access

SERVERS = {"postgresql": "CX_TEST_PG_URL", "mysql": "CX_TEST_MYSQL_URL"}
VISITOR = Access(trusted=False, data_folders=(), allowed_hosts=None)  # a typed URL, no data folder


def server_url(kind: str) -> str:
    url = os.environ.get(SERVERS[kind])
    if not url:
        pytest.skip(f"{SERVERS[kind]} not set: {kind} tests run in CI only")
    return url


@pytest.fixture
def scratch_table():
    """``make(url)`` → a fresh table with one row in that database, dropped afterwards."""
    made = []

    def make(url: str) -> str:
        name = f"cx_victim_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(url)
        with engine.begin() as con:
            con.execute(sa.text(f"CREATE TABLE {name} (x INTEGER)"))
            con.execute(sa.text(f"INSERT INTO {name} VALUES (1)"))
        made.append((engine, name))
        return name

    yield make
    for engine, name in made:
        with engine.begin() as con:
            con.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        engine.dispose()


def rows_in(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as con:
            return con.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
    finally:
        engine.dispose()


# --- driver options are refused by name, before connecting -------------------------------------


@pytest.mark.mysql
@pytest.mark.parametrize("access", [OPERATOR, VISITOR], ids=["operator", "visitor"])
def test_init_command_drop_table_is_refused_and_the_table_stays(scratch_table, access):
    url = server_url("mysql")
    table = scratch_table(url)
    with pytest.raises(SourceError, match="'init_command' is not allowed"):
        open_warehouse(f"{url}?init_command=DROP TABLE {table}", access)
    assert rows_in(url, table) == 1


@pytest.mark.mysql
def test_local_infile_is_refused(scratch_table, tmp_path):
    url = server_url("mysql")
    table = scratch_table(url)
    secret = tmp_path / "secrets.toml"
    secret.write_text('cookie_secret = "do-not-leak"\n', encoding="utf-8")
    attack = f"{url}?local_infile=1&init_command=LOAD DATA LOCAL INFILE '{secret}' INTO TABLE {table}"
    with pytest.raises(SourceError) as info:
        open_warehouse(attack, VISITOR)
    assert "'init_command', 'local_infile' are not allowed" in str(info.value)
    assert rows_in(url, table) == 1


@pytest.mark.pg
def test_postgresql_options_cannot_turn_read_only_off(scratch_table):
    url = server_url("postgresql")
    table = scratch_table(url)
    with pytest.raises(SourceError, match="'options' is not allowed"):
        open_warehouse(f"{url}?options=-c%20default_transaction_read_only%3Doff", VISITOR)
    engine = open_warehouse(url, VISITOR)
    try:
        with engine.connect() as con:
            assert con.execute(sa.text("SHOW transaction_read_only")).scalar() == "on"
            with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):
                con.execute(sa.text(f"DELETE FROM {table}"))
    finally:
        engine.dispose()
    assert rows_in(url, table) == 1


@pytest.mark.mysql
def test_mariadb_session_is_read_only(scratch_table):
    url = server_url("mysql")
    table = scratch_table(url)
    engine = open_warehouse(url, VISITOR)
    try:
        with engine.connect() as con:
            with pytest.raises(sa.exc.DBAPIError, match="READ ONLY"):
                con.execute(sa.text(f"DELETE FROM {table}"))
    finally:
        engine.dispose()
    assert rows_in(url, table) == 1


# --- the network: one message, whatever listens, and never a hang -------------------------------


class Listener:
    """A TCP port on loopback that is closed, silent (accepts, never answers) or speaks another protocol."""

    def __init__(self, behaviour: str):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        if behaviour == "closed":
            self.sock.close()
            return
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(behaviour,), daemon=True)
        self.thread.start()

    def _serve(self, behaviour: str) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)
            if behaviour == "http":
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                conn.close()

    def close(self) -> None:
        if hasattr(self, "stop"):
            self.stop.set()
            self.thread.join(5)
            self.sock.close()
        for conn in self.accepted:
            conn.close()


def attempt(url: str, access: Access = VISITOR) -> str:
    """The message of a connection attempt, run in a thread so that a hang fails the test instead of blocking it."""
    outcome: dict = {}

    def run():
        try:
            open_warehouse(url, access).dispose()
            outcome["message"] = "connected"
        except SourceError as exc:
            outcome["message"] = str(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(60)  # a hang detector, far above the 10 s connect timeout
    assert not worker.is_alive(), f"the connection attempt to {url} did not give up"
    return outcome["message"]


DRIVERS = ["postgresql+psycopg", "mysql+pymysql"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_silent_listener_gives_up_with_the_generic_message(driver):
    listener = Listener("silent")
    try:
        message = attempt(f"{driver}://ann:S3cret@127.0.0.1:{listener.port}/db")
    finally:
        listener.close()
    assert message == f"could not connect to {driver}://ann:***@127.0.0.1:{listener.port}/db"


@pytest.mark.parametrize("driver", DRIVERS)
def test_closed_open_and_foreign_ports_read_the_same(driver):
    messages = set()
    for behaviour in ("closed", "http", "silent"):
        listener = Listener(behaviour)
        try:
            message = attempt(f"{driver}://ann:S3cret@127.0.0.1:{listener.port}/db")
        finally:
            listener.close()
        messages.add(message.replace(str(listener.port), "PORT"))
    assert messages == {f"could not connect to {driver}://ann:***@127.0.0.1:PORT/db"}


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_a_real_server_with_a_wrong_password_reads_the_same(kind):
    real = sa.make_url(server_url(kind))
    wrong = real.set(username="nobody_here", password="Hunter2@Secret", database="missing_db")
    message = attempt(wrong.render_as_string(hide_password=False))
    assert message == f"could not connect to {wrong.render_as_string(hide_password=True)}"
    assert "Hunter2" not in message and "Secret" not in message


# --- local database files: only from the data folders, same message whether they exist ----------


@pytest.fixture
def folders(tmp_path):
    import duckdb

    inside, outside = tmp_path / "data", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    for folder in (inside, outside):
        with duckdb.connect(str(folder / "wh.duckdb")) as con:
            con.execute("CREATE TABLE interactions AS SELECT 'a' AS customer_id")
        sqlite_file = folder / "wh.sqlite"
        import sqlite3

        with sqlite3.connect(sqlite_file) as con:
            con.execute("CREATE TABLE interactions (customer_id TEXT)")
        (folder / "notes.db").write_text("not a database", encoding="utf-8")
    return inside, outside, Access(trusted=False, data_folders=(inside.resolve(),))


def _shape(message: str, path: Path) -> str:
    return message.replace(str(path), "PATH")


@pytest.mark.parametrize("scheme,name", [("duckdb", "wh.duckdb"), ("sqlite", "wh.sqlite")])
def test_database_files_open_only_from_the_data_folders(folders, scheme, name):
    inside, outside, access = folders
    open_warehouse(f"{scheme}:///{inside / name}", access).dispose()  # the allowed folder works
    open_warehouse(str(inside / name), access).dispose()  # so does a plain path
    shapes = set()
    for path in (outside / name, outside / f"missing{Path(name).suffix}", inside / f"missing{Path(name).suffix}",
                 inside / ".." / "elsewhere" / name):
        with pytest.raises(SourceError) as info:
            open_warehouse(f"{scheme}:///{path}", access)
        shapes.add(_shape(str(info.value), path))
    assert shapes == {f"could not connect to {scheme}:///PATH (database files open only from the data folders "
                      "the administrator configured)"}


def test_server_files_are_not_opened_or_probed(folders):
    _, outside, access = folders
    shapes = set()
    for path in (Path("/etc/passwd.sqlite"), Path("/nonexistent/x.sqlite"), outside / "notes.db", outside / "wh.sqlite"):
        with pytest.raises(SourceError) as info:
            open_warehouse(f"sqlite:///{path}", access)
        shapes.add(_shape(str(info.value), path))
    assert len(shapes) == 1


def test_a_non_database_file_in_the_folder_reads_like_a_missing_one(folders):
    inside, _, access = folders
    messages = set()
    for path in (inside / "notes.db", inside / "gone.db"):
        for scheme in ("duckdb", "sqlite"):
            with pytest.raises(SourceError) as info:
                open_warehouse(f"{scheme}:///{path}", access)
            messages.add(_shape(str(info.value), path).replace("sqlite", "duckdb"))
    assert len(messages) == 1


# --- passwords never shown ------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "postgresql://ann:p@ss@db.example.com/cx",  # '@' not encoded: SQLAlchemy would cut the password at it
    "postgresql://ann:p%40ss@127.0.0.1:1/cx",
    "postgresql:ann:p@ss@db.example.com/cx",  # no '://'
    "ann:p@ss@db.example.com/cx",
    "mysql+pymysql://ann:p@ss@127.0.0.1:1/cx?init_command=SELECT 1",
])
@pytest.mark.parametrize("access", [OPERATOR, VISITOR], ids=["operator", "visitor"])
def test_a_password_is_never_echoed(url, access):
    with pytest.raises(SourceError) as info:
        open_warehouse(url, access)
    message = str(info.value)
    assert "p@ss" not in message and "p%40ss" not in message and "ss@" not in message
    assert "***" in message


# --- hosts and grants ---------------------------------------------------------------------------


def test_visitor_urls_name_an_allowed_host():
    access = visitor_access({"allowed_hosts": ["warehouse.example.com", ".corp.example"]})
    with pytest.raises(SourceError, match="not on the list of allowed warehouse hosts"):
        open_warehouse("postgresql+psycopg://ann:pw@169.254.169.254:5432/db", access)
    with pytest.raises(SourceError, match="must name its host"):
        open_warehouse("postgresql+psycopg://ann:pw@/db", access)  # a local socket, peer authentication
    listener = Listener("closed")  # an allowed host is tried (and here fails, generically)
    message = attempt(f"postgresql+psycopg://ann:pw@db.corp.example:{listener.port}/db", access)
    assert message.startswith("could not connect to ")


@pytest.mark.parametrize("kind,expected", [("postgresql", "superuser"), ("mysql", "ALL PRIVILEGES")])
def test_an_account_that_can_write_is_reported(kind, expected):
    engine = open_warehouse(server_url(kind))
    try:
        warnings = account_warnings(engine)
    finally:
        engine.dispose()
    assert len(warnings) == 1 and expected in warnings[0] and "SELECT on the mapped tables only" in warnings[0]


@pytest.fixture
def reader_account(scratch_table):
    """``make(kind)`` → (URL of a new account with SELECT on one table only, that table)."""
    made = []

    def make(kind: str):
        admin_url = server_url(kind)
        table = scratch_table(admin_url)
        name, password = f"cx_reader_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
        admin = sa.create_engine(admin_url)
        with admin.begin() as con:
            if kind == "postgresql":
                con.execute(sa.text(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'"))
                con.execute(sa.text(f"GRANT SELECT ON {table} TO {name}"))
            else:
                host = sa.make_url(admin_url).host
                con.execute(sa.text(f"CREATE USER '{name}'@'{host}' IDENTIFIED BY '{password}'"))
                con.execute(sa.text(f"GRANT SELECT ON {sa.make_url(admin_url).database}.{table} TO '{name}'@'{host}'"))
        made.append((admin, kind, name, table))
        url = sa.make_url(admin_url).set(username=name, password=password)
        return url.render_as_string(hide_password=False), table

    yield make
    for admin, kind, name, table in made:
        with admin.begin() as con:
            if kind == "postgresql":
                con.execute(sa.text(f"REVOKE ALL ON {table} FROM {name}"))
                con.execute(sa.text(f"DROP ROLE {name}"))
            else:
                con.execute(sa.text(f"DROP USER '{name}'@'{sa.make_url(str(admin.url)).host}'"))
        admin.dispose()


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_a_select_only_account_gets_no_warning(reader_account, kind):
    url, table = reader_account(kind)
    engine = open_warehouse(url, VISITOR)
    try:
        assert account_warnings(engine) == []
        with engine.connect() as con:
            assert con.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 1
    finally:
        engine.dispose()
