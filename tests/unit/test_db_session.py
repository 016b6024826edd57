"""Read-only sessions are verified, not assumed; every driver error leaves Source.read as one masked line;
the scope filter has one behaviour."""

import pandas as pd
import pytest
import sqlalchemy as sa

from cx.db import ScopeError, SourceError, memory_source, read_frame
from cx.db import session as sessions
from cx.db.errors import reason
from cx.db.where import scope_filter, segment_filter
from cx.scope import Scope


class FakeCursor:
    """A DBAPI cursor of a server that accepts the SETs but answers the read-back with ``answers``."""

    def __init__(self, answers: dict[str, str]):
        self.answers, self.executed, self.row = answers, [], None

    def execute(self, statement):
        self.executed.append(statement)
        self.row = next(((v,) for k, v in self.answers.items() if k in statement), None)

    def fetchone(self):
        return self.row

    def close(self):
        pass


class FakeConnection:
    def __init__(self, answers):
        self.cursor_ = FakeCursor(answers)

    def cursor(self):
        return self.cursor_

    def commit(self):
        pass

    def rollback(self):
        pass


@pytest.mark.parametrize("answers", [
    {"default_transaction_read_only": "off", "SHOW transaction_read_only": "off"},
    {"default_transaction_read_only": "on", "SHOW transaction_read_only": "off"},
])
def test_postgresql_session_that_stays_writable_is_refused(answers):
    with pytest.raises(SourceError, match="could not be made read-only"):
        sessions._postgresql(FakeConnection(answers), 5)


def test_postgresql_session_read_back_on_is_accepted():
    connection = FakeConnection({"default_transaction_read_only": "on", "SHOW transaction_read_only": "on"})
    sessions._postgresql(connection, 5)
    assert "SET statement_timeout = 5000" in connection.cursor_.executed


@pytest.mark.parametrize("flag,accepted", [("0", False), ("1", True)])
def test_mariadb_session_read_back(flag, accepted):
    connection = FakeConnection({"VERSION()": "10.11.19-MariaDB", "read_only": flag})
    if accepted:
        sessions._mysql(connection, 7)
        assert "SET SESSION max_statement_time = 7" in connection.cursor_.executed
    else:
        with pytest.raises(SourceError, match="could not be made read-only"):
            sessions._mysql(connection, 7)


def test_pymysql_handshake_is_bounded_by_the_connect_timeout():
    args = sessions.connect_args("mysql", "pymysql", 10)
    assert args == {"connect_timeout": 10, "read_timeout": 10, "write_timeout": 10}
    assert sessions.connect_args("postgresql", "psycopg", 10) == {"connect_timeout": 10}


def test_every_driver_error_is_one_source_error_line():
    source = memory_source(pd.DataFrame({"customer_id": ["a"], "nps": [9]}), label="Uploaded: x.csv")
    with pytest.raises(SourceError) as info:
        source.read(sa.text("SELECT no_such_column FROM interactions"))
    assert "\n" not in str(info.value) and "no_such_column" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    with pytest.raises(SourceError, match=r"^reading a preview failed: "):
        source.read(sa.text("SELECT * FROM missing_table"), "reading a preview failed")


def test_an_unreachable_server_reads_could_not_connect():
    engine = sa.create_engine("postgresql+psycopg://ann:S3cret@127.0.0.1:1/cx", connect_args={"connect_timeout": 2})
    with pytest.raises(SourceError) as info:
        read_frame(engine, sa.select(sa.literal(1)))
    assert str(info.value) == "could not connect to postgresql+psycopg://ann:***@127.0.0.1:1/cx"


def test_timeouts_read_as_such():
    class Canceled(Exception):
        sqlstate = "57014"

    assert "statement timeout" in reason(Canceled("canceling statement due to statement timeout"), None)
    assert "statement timeout" in reason(Exception(1969, "Query execution was interrupted"), None)
    assert reason(Exception("relation \"x\" does not exist\nLINE 1: ..."), None) == 'relation "x" does not exist'


# --- the one scope filter ---------------------------------------------------------------------

INTERACTIONS = sa.table("interactions", sa.column("occurred_at"), sa.column("channel"), sa.column("journey_stage"))
CUSTOMERS = sa.table("customers", sa.column("customer_id"), sa.column("segment"))


def test_segments_without_a_customers_table_raise_everywhere():
    scope = Scope(segments=["smb"])
    with pytest.raises(ScopeError, match="filtering by segment needs a customers table"):
        segment_filter(None, scope)
    with pytest.raises(ScopeError):
        scope_filter(INTERACTIONS, None, scope)
    assert isinstance(ScopeError("x"), SourceError) and isinstance(ScopeError("x"), ValueError)


def test_scope_filter_conditions():
    assert scope_filter(INTERACTIONS, None, Scope()) == []
    conditions = scope_filter(INTERACTIONS, CUSTOMERS, Scope(channels=["chat"], stages=["purchase"], segments=["smb"]))
    compiled = [str(c.compile(compile_kwargs={"literal_binds": True})) for c in conditions]
    assert compiled == ["interactions.channel IN ('chat')", "interactions.journey_stage IN ('purchase')",
                        "customers.segment IN ('smb')"]


def test_journeys_no_longer_ignore_a_segment_filter_silently():
    from cx import journeys

    source = memory_source(pd.DataFrame({"customer_id": ["a", "b"], "nps": [9, 3],
                                         "occurred_at": pd.to_datetime(["2026-01-01", "2026-01-02"])}))
    with pytest.raises(ScopeError):
        journeys.journey_features(source, Scope(segments=["smb"]))
