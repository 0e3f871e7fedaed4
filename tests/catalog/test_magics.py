"""%%desql in a real IPython shell: results, binds, exports, explain/check, UsageErrors,
escaped HTML and Tab completion of table and column names."""

from __future__ import annotations

import deslab
import pytest
from IPython.core.completer import provisionalcompleter
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture
def ip(catalog_env):
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "deslab")
    yield shell
    shell.user_ns.pop("t", None)


def test_cell_result_assigned_and_shown_escaped(ip):
    ip.user_ns["ra_min"] = 0.5
    ip.run_cell_magic("desql", "t <<",
                      "SELECT RA, DEC, TILENAME FROM DR2_MAIN WHERE RA > :ra_min AND ROWNUM <= 3")
    t = ip.user_ns["t"]
    assert len(t) == 3 and (t["RA"] > 0.5).all()
    html = t._repr_html_()
    assert "3 rows in" in html and "<th>RA<br><small>deg</small></th>" in html


def test_line_magic_returns_table_with_limit(ip):
    t = ip.run_line_magic("desql", "--limit 7 SELECT RA FROM DR2_MAIN")
    assert len(t) == 7 and t.meta["truncated"]
    assert "stopped at the row cap of 7" in t._repr_html_()


def test_html_is_escaped(odd_catalog):
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "deslab")
    t = shell.run_cell_magic("desql", "", "SELECT '<script>alert(1)</script>' AS \"<b>\" "
                             "FROM ODD WHERE ID = 1")
    html = t._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;" in html


def test_output_explain_check(ip, tmp_path, capsys):
    out = tmp_path / "m.parquet"
    r = ip.run_cell_magic("desql", f"-o {out}", "SELECT * FROM DR2_MAIN WHERE ROWNUM <= 300")
    assert r.rows == 300 and out.exists()
    ip.run_cell_magic("desql", "--check", "SELECT * FROM DR2_MAIN WHERE ROWNUM < 3")
    assert "LIMIT 2" in capsys.readouterr().out
    ip.run_cell_magic("desql", "--explain", "SELECT RA FROM DR2_MAIN WHERE RA > 1")
    assert "SCAN" in capsys.readouterr().out.upper()


@pytest.mark.parametrize("line,cell,needle", [
    ("", "DELETE FROM DR2_MAIN", "read-only"),
    ("", "SELECT MAG_AUTO_GG FROM DR2_MAIN", "MAG_AUTO_G"),
    ("", "SELECT RA FROM DR2_MAIN WHERE RA > :not_defined_anywhere", ":not_defined_anywhere"),
    ("--bogus", "SELECT 1 FROM DUAL", "unknown %desql option --bogus"),
    ("--limit", "SELECT 1 FROM DUAL", "needs a value"),
    ("", "   ", "no SQL"),
    ("-o out.xyz", "SELECT 1 FROM DUAL", ".fits"),
    ("--timeout 0.3", "SELECT SUM(SIN(a.RA*b.DEC)) FROM DR2_MAIN a, DR2_MAIN b", "timeout"),
])
def test_mistakes_are_usage_errors(ip, line, cell, needle):
    with pytest.raises(UsageError) as info:
        ip.run_cell_magic("desql", line, cell)
    assert needle in str(info.value)


def test_settings_are_traitlets(ip):
    ip.run_line_magic("config", "DesqlMagic.limit = 5")
    try:
        t = ip.run_cell_magic("desql", "", "SELECT RA FROM DR2_MAIN")
        assert len(t) == 5
    finally:
        ip.run_line_magic("config", "DesqlMagic.limit = 100000")


def _complete(ip, text, pos=None):
    with provisionalcompleter():
        return [c.text for c in ip.Completer.completions(text, len(text) if pos is None else pos)]


def test_tab_completion_in_desql_cells(ip):
    assert {"MAG_AUTO_G", "MAG_AUTO_Y"} <= set(_complete(ip, "%%desql\nSELECT MAG_AUTO_"))
    assert "dr2_tile_info" in _complete(ip, "%%desql\nSELECT * FROM dr2_t")
    text = "%%desql\nSELECT m.mag_auto_ FROM DR2_MAIN m"
    assert "m.mag_auto_g" in _complete(ip, text, len("%%desql\nSELECT m.mag_auto_"))
    # outside %%desql cells, nothing of ours
    assert "MAG_AUTO_G" not in _complete(ip, "x = MAG_AUTO_")


def test_metadata_line_magics(ip):
    assert "DR2_MAIN" in list(ip.run_line_magic("desql_tables", "dr2")["TABLE_NAME"])
    assert "RA" in list(ip.run_line_magic("desql_describe", "DR2_MAIN")["NAME"])
    with pytest.raises(UsageError, match="DR2_MAIN"):
        ip.run_line_magic("desql_describe", "DR2_MIAN")
    assert deslab.find_columns("spread_model")["COLUMN_NAME"][0].startswith("SPREAD")
