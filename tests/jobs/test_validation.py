"""Parameter validation, job ids and result paths (hub side, no server needed)."""

from __future__ import annotations

import os

import pytest
from deslab_hub.jobs import types
from deslab_hub.jobs.ids import is_valid_job_id, new_job_id
from deslab_hub.jobs.paths import PathError, home_dir, list_results, result_path
from deslab_hub.jobs.phases import Phase, can_move


def test_job_ids_are_uuid4_hex_and_nothing_else() -> None:
    jid = new_job_id()
    assert is_valid_job_id(jid) and len(jid) == 32
    for bad in ["../x", "%2e%2e", "a" * 10_000, jid.upper(), jid + "0", "x' OR '1'='1",
                jid[:31] + "/", "", None, 42]:
        assert not is_valid_job_id(bad)


def test_phases_follow_uws() -> None:
    assert can_move(Phase.QUEUED, Phase.EXECUTING)
    assert not can_move(Phase.COMPLETED, Phase.EXECUTING)
    assert all(not Phase(p).is_active for p in ("COMPLETED", "ERROR", "ABORTED"))


def test_query_parameters() -> None:
    p = types.validate_query({"type": "query", "sql": "SELECT 1 FROM DR2_MAIN",
                              "output": "x.csv.gz"})
    assert p["format"] == "csv" and p["output"] == "x.csv.gz"
    p = types.validate_query({"sql": "SELECT 1", "format": "parquet", "compression": "zstd"})
    assert p["output"] == "result.parquet"
    assert types.validate_query({"sql": "SELECT 1"})["output"] == "result.fits"
    cases = {
        "'sql' is required": {},
        "must not be empty": {"sql": "  "},
        "plain file name": {"sql": "x", "output": "../etc/passwd"},
        "cannot tell the format": {"sql": "x", "output": "x.exe"},
        "valid formats: fits, csv": {"sql": "x", "format": "xls"},
        "does not apply to fits": {"sql": "x", "compression": "gzip"},
        "unknown field": {"sql": "x", "shell": "rm -rf /"},
        "bind name": {"sql": "x", "binds": {"a b": 1}},
        "too long": {"sql": "x" * 100_001},
    }
    for message, body in cases.items():
        with pytest.raises(types.ParamError, match=message):
            types.validate_query(body)


def test_unknown_type_lists_the_valid_ones() -> None:
    with pytest.raises(types.ParamError, match="valid types: anomaly, cutout, query"):
        types.get_type("rm -rf")


def test_cutout_and_anomaly_parameters() -> None:
    p = types.validate_cutout({"positions": "RA,DEC\n10,-20\n", "bands": "gri", "xsize": 1.0})
    assert p["bands"] == "gri" and p["rgb"] is True
    with pytest.raises(types.ParamError, match="positions"):
        types.validate_cutout({"positions": [[1, 2], ["a", 3]]})
    with pytest.raises(types.ParamError, match="grizY"):
        types.validate_cutout({"positions": [[1, 2]], "bands": "gxq"})
    p = types.validate_anomaly({"sql": "SELECT 1", "columns": ["MAG_AUTO_G"], "top": 5})
    assert p["columns"] == ["MAG_AUTO_G"]
    with pytest.raises(types.ParamError, match="columns"):
        types.validate_anomaly({"sql": "x", "columns": ["A; DROP"]})


def test_home_dirs_and_result_paths_stay_inside(tmp_path) -> None:
    assert home_dir("{data_dir}/users/{username}", "alice", "/d") == \
        home_dir("/d/users/{username}", "alice", "x")
    for bad in ["..", "../alice", "a/b", "", "x" * 300]:
        with pytest.raises(PathError):
            home_dir("/d/users/{username}", bad, "/d")
    out = tmp_path / "jobs" / new_job_id()
    out.mkdir(parents=True)
    (out / "ok.fits").write_text("x")
    (out / ".hidden").write_text("x")
    (tmp_path / "secret").write_text("s")
    os.symlink(tmp_path / "secret", out / "link.txt")
    assert result_path(out, "ok.fits") == (out / "ok.fits").resolve()
    for bad in ["../secret", "..", "a/b", "%2e%2e", ".hidden", "link.txt", "x" * 300]:
        with pytest.raises(PathError):
            result_path(out, bad)
    assert [r["name"] for r in list_results(out)] == ["ok.fits"]


def test_cutout_positions_as_a_file_stay_in_the_home() -> None:
    assert types.validate_cutout({"positions": "lists/targets.csv"})["positions"]
    for bad in ["/etc/passwd", "../x.csv", "a/../../x.csv", "~/x.csv", "notes.txt"]:
        with pytest.raises(types.ParamError, match="relative to your home"):
            types.validate_cutout({"positions": bad})


def test_the_service_never_imports_science_code() -> None:
    import subprocess
    import sys

    code = ("import sys, deslab_hub.jobs.app, deslab_hub.jobs.runners.local, "
            "deslab_hub.jobs.runners.kubernetes; "
            "print([m for m in sys.modules if m.split('.')[0] in "
            "('astropy', 'dask', 'deslab', 'pandas', 'numpy')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.strip()
    assert out == "[]"


def test_cutout_sizes_follow_the_workers_cap(monkeypatch) -> None:
    """A size the service accepts is one deslab.cutouts will cut (same variable, same cap)."""
    ok = {"positions": "RA,DEC\n10,-5\n"}
    assert types.validate_cutout({**ok, "xsize": 12.0})["xsize"] == 12.0
    with pytest.raises(types.ParamError, match="between 0.1 and 12"):
        types.validate_cutout({**ok, "xsize": 13.0})
    with pytest.raises(types.ParamError, match="between 0.1 and 12"):
        types.validate_cutout({**ok, "ysize": 0.05})
    monkeypatch.setenv("DESLAB_CUTOUT_MAX_SIZE", "20")
    assert types.validate_cutout({**ok, "xsize": 13.0})["xsize"] == 13.0
