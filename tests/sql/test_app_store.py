"""The app-owned database: settings round-trip, versions refuse lost updates, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import backend_url

from cx.db.write import METADATA, AppStore, StaleUpdate

pytestmark = pytest.mark.usefixtures("app_tables_lock")  # shared cx_* tables: one test at a time


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    url = backend_url(request.param, tmp_path)
    store = AppStore(url)
    yield store
    METADATA.drop_all(store.engine)
    store.engine.dispose()


def test_settings_round_trip_and_versions(store):
    assert store.get("demo", "targets", {}).value == {}
    assert store.put("demo", "targets", {"nps": 30}, version=0, user="ana") == 1
    got = store.get("demo", "targets")
    assert (got.value, got.version, got.updated_by) == ({"nps": 30}, 1, "ana")
    assert store.put("demo", "targets", {"nps": 35}, version=1) == 2
    with pytest.raises(StaleUpdate, match="another session"):
        store.put("demo", "targets", {"nps": 99}, version=1)  # read before the last save
    assert store.get("demo", "targets").value == {"nps": 35}
    assert store.get("other source", "targets").version == 0


def test_the_schema_is_created_once_and_kept(store):
    store.put("demo", "notes", ["chat outage"])
    AppStore(store.url)  # a second process opening the same database migrates nothing away
    assert store.get("demo", "notes").value == ["chat outage"]
    with store.engine.connect() as con:
        assert con.execute(sa.text("SELECT version FROM cx_schema")).scalar() == 1


def _start(url: str, errors) -> None:
    try:
        AppStore(url).engine.dispose()
    except Exception as exc:  # noqa: BLE001  the test reports what a start said
        errors.put(str(exc))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_processes_starting_at_once_on_a_fresh_database_all_get_the_schema(backend, tmp_path):
    """Two app servers, a `cx` command and their background jobs may open a new app database at the same
    moment. Before the schema was made under a lock, four processes on an empty database failed in 4 of 8
    rounds on PostgreSQL (IntegrityError), 6 of 8 on MariaDB and 3 of 8 on SQLite."""
    import multiprocessing

    url = backend_url(backend, tmp_path)
    context = multiprocessing.get_context("fork")
    engine = sa.create_engine(url)
    try:
        for _ in range(3):
            METADATA.drop_all(engine)
            errors = context.Queue()
            starts = [context.Process(target=_start, args=(url, errors)) for _ in range(4)]
            for process in starts:
                process.start()
            for process in starts:
                process.join(60)
            assert [p.exitcode for p in starts] == [0] * 4
            assert errors.empty(), errors.get()
            with engine.connect() as con:
                assert con.execute(sa.text("SELECT version FROM cx_schema")).scalars().all() == [1]
    finally:
        METADATA.drop_all(engine)
        engine.dispose()
