"""The Oracle backend without an Oracle server: URL parsing, credentials that never show,
the connect parameters it builds, SQL passed unchanged, and clear connection errors against
a real (closed) port."""

from __future__ import annotations

import logging
import pickle
import socket

import oracledb
import pytest
from deslab.catalog import connect
from deslab.catalog.backends.oracle_backend import OracleBackend
from deslab.catalog.dialect import parse
from deslab.catalog.url import Secret, load_password, parse_url
from deslab.errors import ConfigurationError
from deslab.settings import Settings

PASSWORD = "s3cr3t-Pa55word!"


def test_url_parsing_and_safe_str():
    url = parse_url("oracle://des_reader@desdb.example.org:1522/dessci")
    assert (url.user, url.host, url.port, url.service) == ("des_reader", "desdb.example.org",
                                                           1522, "dessci")
    assert not url.thick
    assert str(url) == "oracle://des_reader@desdb.example.org:1522/dessci"
    assert parse_url("oracle://u@h/s").port == 1521
    thick = parse_url("oracle://u@h/s?mode=thick&lib_dir=/opt/ic")
    assert thick.thick and thick.options["lib_dir"] == "/opt/ic"


@pytest.mark.parametrize("url,needle", [
    (f"oracle://u:{PASSWORD}@h:1521/s", "must not contain a password"),
    ("mysql://u@h/s", "valid schemes are duckdb, oracle"),
    ("oracle://h:1521/s", "needs a user"),
    ("oracle://u@h:1521/", "needs a user"),
    ("oracle://u@h/s?mode=fat", "thin"),
    ("oracle://u@h/s?color=red", "valid options are mode, lib_dir, config_dir"),
])
def test_bad_urls(url, needle):
    with pytest.raises(ConfigurationError) as info:
        parse_url(url)
    assert needle in str(info.value)
    assert PASSWORD not in str(info.value)


def test_password_from_file_or_env_never_shown(tmp_path):
    f = tmp_path / "pw"
    f.write_text(PASSWORD + "\n")
    secret = load_password(Settings.from_env({"DESLAB_CATALOG_PASSWORD_FILE": str(f)}))
    assert secret.reveal() == PASSWORD
    assert PASSWORD not in str(secret) and PASSWORD not in repr(secret)
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert load_password(Settings.from_env({"DESLAB_CATALOG_PASSWORD": PASSWORD})).reveal() \
        == PASSWORD
    with pytest.raises(ConfigurationError, match="DESLAB_CATALOG_PASSWORD_FILE"):
        load_password(Settings.from_env({}))
    with pytest.raises(ConfigurationError, match="cannot read") as info:
        load_password(Settings.from_env({"DESLAB_CATALOG_PASSWORD_FILE": str(tmp_path / "no")}))
    assert PASSWORD not in str(info.value)


def test_connect_parameters():
    backend = OracleBackend(parse_url("oracle://des_reader@desdb.example.org:1522/dessci"),
                            Secret(PASSWORD))
    params = backend.connect_params()
    assert params.user == "des_reader"
    assert params.host == "desdb.example.org" and params.port == 1522
    assert params.service_name == "dessci"
    assert params.program == "deslab"
    assert params.get_connect_string() == (
        "(DESCRIPTION=(ADDRESS=(PROTOCOL=tcp)(HOST=desdb.example.org)(PORT=1522))"
        "(CONNECT_DATA=(SERVICE_NAME=dessci)))")
    # the password is not part of the parameters object, nor of the backend's repr
    assert PASSWORD not in repr(params) and PASSWORD not in params.get_connect_string()
    assert PASSWORD not in repr(backend) and PASSWORD not in str(vars(backend))
    assert oracledb.is_thin_mode()


def test_oracle_sql_is_passed_unchanged():
    backend = OracleBackend(parse_url("oracle://u@h/s"), Secret(PASSWORD))
    sql = "SELECT * FROM DR2_MAIN WHERE ROWNUM <= 10 AND NVL(RA, 0) > :ra"
    assert backend.translate(parse(sql, allow_unparsed=True)) == sql
    # SQL sqlglot cannot parse still goes to Oracle, but only as a query
    odd = "SELECT /*+ PARALLEL(4) */ * FROM DR2_MAIN SAMPLE BLOCK (1) SEED (42)"
    assert backend.translate(parse(odd, allow_unparsed=True)).startswith("SELECT")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_gives_clear_error_without_secrets(monkeypatch, tmp_path, caplog):
    import deslab.catalog

    port = _closed_port()
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD)
    monkeypatch.setenv("DESLAB_CATALOG", f"oracle://des_reader@127.0.0.1:{port}/dessci")
    monkeypatch.setenv("DESLAB_CATALOG_PASSWORD_FILE", str(pw))
    deslab.catalog.reset()
    caplog.set_level(logging.DEBUG)
    try:
        backend = connect()
        assert backend.name == "oracle"
        with pytest.raises(ConfigurationError) as info:
            deslab.query("SELECT * FROM DR2_MAIN WHERE ROWNUM <= 1")
    finally:
        deslab.catalog.reset()
    msg = str(info.value)
    assert "cannot connect to the catalog" in msg and "DPY-" in msg
    assert PASSWORD not in msg and str(port) not in msg and "127.0.0.1" not in msg
    assert PASSWORD not in caplog.text
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_read_only_guard_applies_before_oracle(monkeypatch, tmp_path):
    import deslab.catalog

    monkeypatch.setenv("DESLAB_CATALOG", f"oracle://u@127.0.0.1:{_closed_port()}/s")
    monkeypatch.setenv("DESLAB_CATALOG_PASSWORD", PASSWORD)
    deslab.catalog.reset()
    try:
        with pytest.raises(deslab.DeslabError, match="read-only"):
            deslab.query("DELETE FROM DR2_MAIN")
    finally:
        deslab.catalog.reset()


def test_thick_mode_without_client_libraries_is_explained(tmp_path):
    from deslab.catalog.backends.oracle_backend import init_thick

    url = parse_url(f"oracle://u@h/s?mode=thick&lib_dir={tmp_path}")
    with pytest.raises(ConfigurationError, match="Instant Client"):
        init_thick(url)
