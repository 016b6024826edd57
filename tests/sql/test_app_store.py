"""The app-owned database: settings round-trip, versions refuse lost updates, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import backend_url

from cx.db.write import METADATA, AppStore, StaleUpdate


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
