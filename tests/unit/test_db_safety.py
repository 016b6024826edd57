"""URL checks before any driver sees a URL: options by name, drivers, folders, hosts, masking (no database needed)."""

from pathlib import Path

import pytest

from cx.db import OPERATOR, SourceError, safe_url, scrub, url_entry_allowed, visitor_access
from cx.db.grants import mysql_privileges
from cx.db.safety import APP_DATA, Access, check_url

VISITOR = Access(trusted=False, data_folders=(), allowed_hosts=None)


@pytest.mark.parametrize("url,option", [
    ("mysql+pymysql://u:pw@db.example.com/cx?init_command=DROP TABLE t", "init_command"),
    ("mysql+pymysql://u:pw@db.example.com/cx?local_infile=1", "local_infile"),
    ("mysql+pymysql://u:pw@db.example.com/cx?client_flag=128", "client_flag"),
    ("mysql+pymysql://u:pw@db.example.com/cx?read_default_file=/root/.my.cnf", "read_default_file"),
    ("mysql+pymysql://u:pw@db.example.com/cx?read_default_group=client", "read_default_group"),
    ("mysql+pymysql://u:pw@db.example.com/cx?unix_socket=/run/mysqld/mysqld.sock", "unix_socket"),
    ("mariadb+pymysql://u:pw@db.example.com/cx?connect_timeout=100000", "connect_timeout"),
    ("postgresql+psycopg://u:pw@db.example.com/cx?options=-c default_transaction_read_only=off", "options"),
    ("postgresql+psycopg://u:pw@db.example.com/cx?host=/var/run/postgresql", "host"),
    ("postgresql+psycopg://u:pw@db.example.com/cx?passfile=/root/.pgpass", "passfile"),
    ("postgresql+psycopg://u:pw@db.example.com/cx?service=prod", "service"),
    ("duckdb:///data/x.duckdb?enable_external_access=true", "enable_external_access"),
    ("sqlite:///data/x.sqlite?mode=rw", "mode"),
])
@pytest.mark.parametrize("access", [OPERATOR, VISITOR], ids=["operator", "visitor"])
def test_driver_options_are_refused_by_name(url, option, access):
    with pytest.raises(SourceError, match=f"'{option}'") as info:
        check_url(url, access)
    assert "not allowed" in str(info.value) and "pw" not in str(info.value).replace("pwd", "")


def test_file_reading_tls_options_only_for_the_operator():
    url = "postgresql+psycopg://u:pw@db.example.com/cx?sslmode=verify-full&sslrootcert=/etc/ssl/ca.pem"
    assert check_url(url, OPERATOR).url.query["sslrootcert"] == "/etc/ssl/ca.pem"
    with pytest.raises(SourceError, match="'sslrootcert'"):
        check_url(url, VISITOR)
    assert check_url("postgresql+psycopg://u:pw@db.example.com/cx?sslmode=require", VISITOR).url.query == {"sslmode": "require"}
    with pytest.raises(SourceError, match="'credentials_path'"):
        check_url("bigquery://project/dataset?credentials_path=/etc/shadow", VISITOR)


@pytest.mark.parametrize("url,match", [
    ("oracle://u:pw@db.example.com/cx", "'oracle' is not supported"),
    ("mysql+mysqlconnector://u:pw@db.example.com/cx", "driver 'mysqlconnector' is not supported"),
    ("postgresql+pg8000://u:pw@db.example.com/cx", "driver 'pg8000' is not supported"),
    ("duckdb:///:memory:", "name a .duckdb or .sqlite database file"),
    ("duckdb:///md:shared_db", "name a .duckdb or .sqlite database file"),
    ("postgresql+psycopg://u:pw@h1:5432,h2/cx", "not a valid SQLAlchemy URL"),
])
def test_unsupported_targets_are_refused(url, match):
    with pytest.raises(SourceError, match=match):
        check_url(url, OPERATOR)


def test_a_driver_is_chosen_when_none_is_named():
    target = check_url("postgresql://u:pw@db.example.com/cx", VISITOR)
    assert target.url.drivername in ("postgresql+psycopg", "postgresql+psycopg2")
    assert check_url("mysql://u:pw@db.example.com/cx", VISITOR).driver in ("pymysql", "mysqldb")


def test_visitor_access_from_settings(tmp_path):
    default = visitor_access({})
    assert default.data_folders == (APP_DATA.resolve(),) and default.allowed_hosts is None and not default.trusted
    custom = visitor_access({"data_folders": [str(tmp_path), "exports"], "allowed_hosts": ["DB.Example.com", ".corp"]},
                            root=tmp_path)
    assert custom.data_folders == (tmp_path.resolve(), (tmp_path / "exports").resolve())
    assert custom.allowed_hosts == ("db.example.com", ".corp")
    assert check_url("postgresql+psycopg://u:pw@db.example.com/cx", custom).url.host == "db.example.com"
    assert check_url("postgresql+psycopg://u:pw@warehouse.corp/cx", custom).url.host == "warehouse.corp"
    for host in ("evil.example.com", "db.example.com.evil", "corp"):
        with pytest.raises(SourceError, match="not on the list"):
            check_url(f"postgresql+psycopg://u:pw@{host}/cx", custom)


@pytest.mark.parametrize("settings,allowed", [
    (None, False), ({}, False), ({"allow_url_entry": False}, False), ({"allow_url_entry": "no"}, False),
    ({"allow_url_entry": True}, True), ({"allow_url_entry": "true"}, True),
])
def test_url_entry_is_off_unless_the_administrator_turns_it_on(settings, allowed):
    assert url_entry_allowed(settings) is allowed


def test_a_path_outside_the_folders_is_refused_without_looking(tmp_path):
    inside = tmp_path / "data"
    inside.mkdir()
    access = Access(trusted=False, data_folders=(inside,))
    messages = {str(pytest.raises(SourceError, check_url, f"duckdb:///{p}", access).value).replace(str(p), "P")
                for p in (tmp_path / "x.duckdb", Path("/etc/x.duckdb"), inside / "absent.duckdb")}
    assert len(messages) == 1


# --- masking ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url,shown", [
    ("postgresql://ann:S3cret@db.example.com/cx", "postgresql://ann:***@db.example.com/cx"),
    ("postgresql://ann:p@ss@db.example.com/cx", "postgresql://ann:***@db.example.com/cx"),
    ("postgresql://ann:p@ss/w?rd@db.example.com/cx", "postgresql://ann:***@db.example.com/cx"),
    ("postgresql://ann:p%40ss@db.example.com/cx", "postgresql://ann:***@db.example.com/cx"),
    ("postgresql:ann:S3cret@db.example.com/cx", "***@db.example.com/cx"),
    ("ann:S3cret@db.example.com", "***@db.example.com"),
    ("postgresql:ann:S3cret", "postgresql:***"),
    ("mysql+pymysql://u@h/db?password=S3cret&charset=utf8", "mysql+pymysql://u@h/db?password=***&charset=utf8"),
    ("postgresql://ann@db.example.com/cx", "postgresql://ann@db.example.com/cx"),
    ("data/demo.duckdb", "data/demo.duckdb"),
])
def test_safe_url_masks_every_spelling_of_a_password(url, shown):
    assert safe_url(url) == shown


def test_scrub_removes_the_password_from_a_driver_message():
    url = "postgresql://ann:p@ss@db.example.com/cx"
    message = f'FATAL: password "p@ss" rejected for {url} (p%40ss)'
    assert "p@ss" not in scrub(message, url) and "p%40ss" not in scrub(message, url)
    assert scrub("failed for ann:S3cret@host", "ann:S3cret@host") == "failed for ***@host"


def test_mysql_grants_beyond_reading():
    grants = [
        "GRANT USAGE ON *.* TO `r`@`%` IDENTIFIED BY PASSWORD '*81F5E21E35407D884A6CD4A731AEBFB6AF209E1B'",
        "GRANT SELECT, SHOW VIEW ON `cx`.* TO `r`@`%`",
        "GRANT SELECT (`a`, `b`), INSERT ON `cx`.`t` TO `r`@`%`",
        "GRANT FILE ON *.* TO `r`@`%`",
        "GRANT ALL PRIVILEGES ON `other`.* TO `r`@`%` WITH GRANT OPTION",
        "GRANT `admin_role` TO `r`@`%`",
    ]
    found = mysql_privileges(grants)
    assert found == ["INSERT on `cx`.`t`", "FILE on *.*", "ALL PRIVILEGES, GRANT OPTION on `other`.*",
                     "the role `admin_role` (check its privileges)"]
    assert not any("81F5" in f for f in found)
    assert mysql_privileges(grants[:2]) == []
