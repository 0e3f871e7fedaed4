"""The user-side client (deslab.submit_query, deslab.jobs, deslab.Job) and %desjobs, against
the real hub and job service, configured only by the environment a user server gets."""

from __future__ import annotations

import deslab
import pytest
from astropy.table import Table
from deslab.errors import ConfigurationError, JobError

from tests.jobs.jobs_helpers import SLOW_SQL, Hub

pytestmark = pytest.mark.integration


@pytest.fixture
def as_user(hub: Hub, monkeypatch):
    def login(name: str) -> None:
        monkeypatch.setenv("DESLAB_JOBS_URL", f"{hub.url}/services/jobs/")
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", hub.user(name))
        monkeypatch.setenv("DESLAB_HOME", str(hub.root / "data" / "users" / name))
        monkeypatch.delenv("DESLAB_JOBS_TOKEN", raising=False)
    return login


def test_submit_wait_results_and_reattach(as_user) -> None:
    as_user("kim")
    job = deslab.submit_query("SELECT COADD_OBJECT_ID, RA, DEC FROM DR2_MAIN "
                              "WHERE DEC < :dec", binds={"dec": -0.5},
                              output="south.parquet", name="south")
    assert job.phase in ("QUEUED", "EXECUTING", "COMPLETED")
    job.wait(timeout=60, progress=True)
    assert job.phase == "COMPLETED"
    [path] = job.results
    assert path.name == "south.parquet" and path.is_file()
    assert path.parent.name == job.id and path.parent.parent.name == "jobs"
    table = job.table()
    assert len(table) == job.summary["rows"] > 0 and (table["DEC"] < -0.5).all()
    again = deslab.Job(job.id)  # after a kernel restart
    assert again.phase == "COMPLETED" and again.name == "south"
    assert job.id in [j.id for j in deslab.jobs(phase="COMPLETED")]
    html = deslab.jobs()._repr_html_()
    assert job.id in html and "<td>south</td>" in html
    again.rename("<script>alert(1)</script>")
    assert "&lt;script&gt;" in deslab.jobs()._repr_html_()
    assert "<script>" not in deslab.jobs()._repr_html_()
    renewed = again.renew(20)
    assert renewed.destruction > job.destruction
    local = again.download(dest=path.parent.parent)
    assert Table.read(local).colnames == table.colnames
    again.delete()
    with pytest.raises(JobError, match="404"):
        deslab.Job(job.id)


def test_cancel_and_errors_are_clear(as_user) -> None:
    as_user("lee")
    job = deslab.submit_query(SLOW_SQL, output="slow.csv")
    job.cancel()
    with pytest.raises(JobError, match="ABORTED"):
        job.wait(timeout=30, progress=False)
    bad = deslab.submit_query("SELECT NOPE FROM DR2_MAIN", output="x.fits")
    with pytest.raises(JobError, match="ERROR"):
        bad.wait(timeout=60, progress=False)
    with pytest.raises(JobError, match="not a job id"):
        deslab.Job("../../etc/passwd")
    with pytest.raises(JobError, match="plain file name"):
        deslab.submit_query("SELECT 1 AS X", output="../x.fits")


def test_missing_configuration_says_what_to_set(monkeypatch) -> None:
    monkeypatch.delenv("DESLAB_JOBS_URL", raising=False)
    with pytest.raises(ConfigurationError, match="DESLAB_JOBS_URL"):
        deslab.jobs()


def test_desjobs_magic_and_desql_async(as_user) -> None:
    from IPython.core.error import UsageError
    from IPython.core.interactiveshell import InteractiveShell

    as_user("max")
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "deslab")  # %%desql and (through it) %desjobs
    assert "desjobs" in ip.magics_manager.magics["line"]
    job = deslab.submit_query("SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 3", output="m.csv",
                              name="magic").wait(timeout=60, progress=False)
    shown = ip.run_line_magic("desjobs", "--phase completed")
    assert job.id in [j.id for j in shown]
    assert "magic" in shown._repr_html_()
    with pytest.raises(UsageError, match="unknown phase"):
        ip.run_line_magic("desjobs", "--phase RUNNING")
    handle = ip.run_cell_magic("desql", "--async -o a.csv",
                               "SELECT RA FROM DR2_MAIN WHERE ROWNUM <= 2")
    assert handle.wait(timeout=60, progress=False).phase == "COMPLETED"
    assert [p.name for p in handle.results] == ["a.csv"]
