"""The worker -> service outcome channel: one format for both runners, within 4096 bytes.

The worker's encoder (``deslab.jobs.report``) and the service's parser
(``deslab_hub.jobs.outcome``) are tested against each other; the local channel is tested
with a real worker process writing into the runner's FIFO.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from deslab.jobs import report
from deslab_hub.jobs import outcome
from deslab_hub.jobs.runners.local import ReportChannel

from tests.jobs.jobs_helpers import PY


def test_both_sides_agree_on_the_format_and_its_limit() -> None:
    assert report.OUTCOME_VERSION == outcome.OUTCOME_VERSION
    assert report.MAX_OUTCOME_BYTES == outcome.MAX_OUTCOME_BYTES == 4095  # +"\n" = PIPE_BUF


def test_a_small_outcome_round_trips() -> None:
    line = report.encode_outcome("completed", results=[("b.fits", 20), ("a.csv", 10)],
                                 summary={"rows": 3})
    got = outcome.parse_message(line)
    assert got == outcome.Outcome(state="completed", error=None,
                                  results=[{"name": "a.csv", "size": 10},
                                           {"name": "b.fits", "size": 20}],
                                  files=2, bytes=30, summary={"rows": 3})
    assert got.complete_listing


def test_many_result_files_fit_the_termination_message_with_exact_totals() -> None:
    names = [(f"DES{i:04d}+0001_ra{i}.{i % 97}_dec-0.{i}_{band}.fits", 1000 + i)
             for i in range(3000) for band in "grizY"]
    line = report.encode_outcome("completed", results=names,
                                 summary={"positions": 3000, "ok": 3000})
    assert len(line.encode()) <= 4095
    got = outcome.parse_message(line)
    assert got.files == 15000 and got.bytes == sum(size for _n, size in names)
    assert 10 < len(got.results) < 100 and not got.complete_listing
    assert [r["name"] for r in got.results] == sorted(n for n, _s in names)[:len(got.results)]
    assert got.summary == {"positions": 3000, "ok": 3000}


def test_a_huge_summary_or_error_does_not_push_out_the_totals() -> None:
    line = report.encode_outcome("completed", results=[("a.csv", 1)],
                                 summary={"top": ["x" * 100] * 100})
    got = outcome.parse_message(line)
    assert len(line) <= 4095 and got.results == [{"name": "a.csv", "size": 1}]
    assert "too large" in got.summary["note"]
    line = report.encode_outcome("error", error="é" * 5000)
    got = outcome.parse_message(line)
    assert len(line.encode()) <= 4095 and got.state == "error" and got.error.startswith("é")


@pytest.mark.parametrize("entry", [["../../etc/passwd", 1], [".hidden", 1], ["a/b", 1],
                                   ["ok.csv", -1], ["ok.csv", 1.5], ["ok.csv", True],
                                   "ok.csv", ["ok.csv"]])
def test_the_service_drops_result_entries_that_are_not_plain_files(entry) -> None:
    doc = {"outcome": 1, "state": "completed", "files": 1, "bytes": 1, "results": [entry]}
    got = outcome.parse_message(json.dumps(doc))
    assert got is not None and got.results == []


@pytest.mark.parametrize("text", ["", "null", "[]", '{"outcome": 2, "state": "completed"}',
                                  '{"outcome": 1, "state": "done"}', "not json", "{" * 10000])
def test_anything_else_is_no_outcome(text: str) -> None:
    assert outcome.parse_message(text) is None


def test_a_real_worker_reports_through_the_fifo_and_a_forged_file_changes_nothing(
    demo_survey: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    out = home / "jobs" / ("c" * 32)
    out.mkdir(parents=True)
    # what a user's kernel could write into their own storage: never read by the service
    forged = {"state": "completed", "summary": {"rows": 10**9}, "progress": 1.0}
    (out / ".deslab-status.json").write_text(json.dumps(forged))
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "job_id": "c" * 32, "type": "query", "output_dir": str(out),
        "params": {"sql": "SELECT RA, DEC FROM DR2_MAIN WHERE ROWNUM <= 5", "output": "f.csv",
                   "format": None, "compression": None, "binds": {}}}))
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    channel, write_fd = ReportChannel.create(state / "report.fifo")
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "DESLAB_HOME": str(home),
           "DESLAB_CATALOG": f"duckdb:///{demo_survey / 'catalog.duckdb'}"}
    try:
        proc = subprocess.Popen([PY, "-m", "deslab.jobs.worker", "--spec", str(spec),
                                 "--report-fd", str(write_fd)], pass_fds=(write_fd,),
                                env=env, cwd=out)
        os.close(write_fd)
        assert proc.wait(120) == 0
        channel.read()
    finally:
        channel.close()
    got = channel.outcome
    size = (out / "f.csv").stat().st_size
    assert got is not None and got.state == "completed" and got.summary["rows"] == 5
    assert got.results == [{"name": "f.csv", "size": size}] and got.bytes == size
    assert (state / "report.fifo").exists() and (state.stat().st_mode & 0o077) == 0
