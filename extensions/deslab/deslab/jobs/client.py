"""Client of the DESlab job service: submit jobs, follow them, get their results.

Inside a user server the service is found at ``$DESLAB_JOBS_URL`` and the user's own hub
token (``$JUPYTERHUB_API_TOKEN``) authenticates, so nothing needs configuring:

>>> job = deslab.submit_query("SELECT RA, DEC FROM DR2_MAIN", output="radec.fits")  # doctest: +SKIP
>>> job.wait()                         # progress bar until COMPLETED         # doctest: +SKIP
>>> job.results                        # [PosixPath('~/jobs/<id>/radec.fits')] # doctest: +SKIP
>>> deslab.Job(job.id)                 # re-attach after a kernel restart      # doctest: +SKIP
"""

from __future__ import annotations

import html
import io
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from deslab.errors import ConfigurationError, DeslabError, JobError
from deslab.settings import settings

FINAL = ("COMPLETED", "ERROR", "ABORTED")
JOB_ID = re.compile(r"^[0-9a-f]{32}$")


class JobsClient:
    """HTTP calls to the job service with the user's token."""

    def __init__(self, url: str | None = None, token: str | None = None) -> None:
        base = url or settings().jobs_url
        if not base:
            raise ConfigurationError(
                "the job service is not configured: set DESLAB_JOBS_URL (inside the platform "
                "it is set for you, e.g. http://127.0.0.1:8000/services/jobs/)"
            )
        self.base = base.rstrip("/") + "/api"
        self.token = token or os.environ.get("DESLAB_JOBS_TOKEN") or os.environ.get(
            "JUPYTERHUB_API_TOKEN"
        )
        if not self.token:
            raise ConfigurationError(
                "no token for the job service: set JUPYTERHUB_API_TOKEN (a JupyterHub token "
                "with the scope access:services!service=jobs)"
            )
        import requests

        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {self.token}"

    def request(self, method: str, path: str, *, expect: Iterable[int] = (200,),
                **kwargs: Any) -> Any:
        import requests

        kwargs.setdefault("timeout", 60)
        try:
            r = self.session.request(method, self.base + path, **kwargs)
        except requests.RequestException as exc:
            raise JobError(
                f"cannot reach the job service at {self.base}: {type(exc).__name__}; check "
                "that the platform is running (DESLAB_JOBS_URL)"
            ) from None
        if r.status_code not in tuple(expect):
            try:
                message = r.json().get("error") or r.reason
            except ValueError:
                message = r.reason
            raise JobError(f"the job service answered {r.status_code}: {message}",
                           status=r.status_code)
        return r


_default: JobsClient | None = None


def client() -> JobsClient:
    """The client for the current environment (rebuilt when DESLAB_JOBS_URL changes)."""
    global _default
    url = settings().jobs_url
    token = os.environ.get("DESLAB_JOBS_TOKEN") or os.environ.get("JUPYTERHUB_API_TOKEN")
    if _default is None or _default.base != (url or "").rstrip("/") + "/api" or (
        _default.token != token
    ):
        _default = JobsClient()
    return _default


class Job:
    """A handle on one job of the job service.

    Parameters
    ----------
    job_id
        The job's id (32 hex digits); ``deslab.Job(id)`` re-attaches to an existing job.
    """

    def __init__(self, job_id: str, *, _data: dict[str, Any] | None = None,
                 _client: JobsClient | None = None) -> None:
        if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
            raise JobError(
                f"{str(job_id)[:60]!r} is not a job id: ids are 32 lowercase hex digits, as "
                "shown by deslab.jobs() or %desjobs"
            )
        self.id = job_id
        self._client = _client or client()
        self._data = _data if _data is not None else self._fetch()

    def _fetch(self) -> dict[str, Any]:
        return self._client.request("GET", f"/jobs/{self.id}").json()

    def refresh(self) -> Job:
        """Read the job's state again from the service."""
        self._data = self._fetch()
        return self

    # -- state --------------------------------------------------------------------------

    @property
    def phase(self) -> str:
        """The UWS phase, read afresh: PENDING, QUEUED, EXECUTING, COMPLETED, ERROR, ABORTED."""
        if self._data.get("phase") not in FINAL:
            self.refresh()
        return str(self._data["phase"])

    def __getattr__(self, name: str) -> Any:
        if name in ("name", "type", "owner", "created", "started", "ended", "duration",
                    "destruction", "progress", "progress_message", "error", "summary",
                    "parameters", "execution_duration", "quote"):
            return self.__dict__["_data"].get(name)
        raise AttributeError(name)

    @property
    def directory(self) -> Path:
        """Where the results are: ``~/jobs/<id>/`` in the owner's home."""
        return settings().home / "jobs" / self.id

    @property
    def result_files(self) -> list[dict[str, Any]]:
        """Result files as the service lists them (name, size, url)."""
        return list(self._data.get("results") or [])

    @property
    def results(self) -> list[Path]:
        """The result files as local paths (the job's directory in the user's home)."""
        if self._data.get("phase") not in FINAL:
            self.refresh()
        return [self.directory / r["name"] for r in self.result_files]

    def wait(self, timeout: float | None = None, *, progress: bool = True,
             poll: float = 1.0, raise_on_error: bool = True) -> Job:
        """Wait until the job ends, with a progress bar.

        Parameters
        ----------
        timeout
            Seconds to wait at most (None: until it ends).
        progress
            Show a progress bar (tqdm).
        poll
            Seconds between checks.
        raise_on_error
            Raise :class:`~deslab.errors.JobError` if the job ends in ERROR or ABORTED.
        """
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=100, desc=f"{self.name or self.id}"[:40], unit="%",
                       bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}")
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                self.refresh()
                phase = self._data["phase"]
                if bar is not None:
                    bar.n = round(100 * float(self._data.get("progress") or 0))
                    bar.set_postfix_str(f"{phase} {self._data.get('progress_message') or ''}"
                                        [:60])
                if phase in FINAL:
                    break
                if deadline is not None and time.monotonic() > deadline:
                    raise JobError(
                        f"job {self.id} is still {phase} after {timeout:g} s; wait again "
                        "or cancel it with job.cancel()"
                    )
                time.sleep(poll)
        finally:
            if bar is not None:
                bar.close()
        if raise_on_error and self._data["phase"] in ("ERROR", "ABORTED"):
            raise JobError(f"job {self.id} ended {self._data['phase']}: "
                           f"{self._data.get('error') or 'no reason given'}")
        return self

    # -- actions ------------------------------------------------------------------------

    def cancel(self) -> Job:
        """Cancel the job (its worker stops; partial files are removed; phase ABORTED)."""
        r = self._client.request("POST", f"/jobs/{self.id}/cancel", expect=(202, 409))
        if r.status_code == 202:
            self._data = r.json()
        return self.refresh()

    def delete(self) -> None:
        """Delete the job and its results."""
        self._client.request("DELETE", f"/jobs/{self.id}", expect=(204,))

    def rename(self, name: str) -> Job:
        """Give the job a new name."""
        self._data = self._client.request("PATCH", f"/jobs/{self.id}",
                                          json={"name": name}).json()
        return self

    def renew(self, days: float | None = None) -> Job:
        """Keep the job ``days`` more days from now (default: the service's maximum)."""
        body = {"lifetime_days": days} if days is not None else None
        if body is None:
            limits = self._client.request("GET", "/limits").json()
            body = {"lifetime_days": limits["max_lifetime_days"]}
        self._data = self._client.request("PATCH", f"/jobs/{self.id}", json=body).json()
        return self

    def download(self, name: str | None = None, dest: str | os.PathLike = ".") -> Path:
        """Download a result file (the first one by default) into ``dest``."""
        files = self.result_files or self.refresh().result_files
        if not files:
            raise JobError(f"job {self.id} has no result files (phase {self.phase})")
        name = name or files[0]["name"]
        r = self._client.request("GET", f"/jobs/{self.id}/results/{name}", stream=True)
        target = Path(dest)
        if target.is_dir():
            target = target / name
        with open(target, "wb") as f:
            for chunk in r.iter_content(1 << 20):
                f.write(chunk)
        return target

    def table(self, name: str | None = None) -> Any:
        """The result as an astropy Table (read from the home directory, else downloaded)."""
        from astropy.table import Table

        files = self.result_files or self.refresh().result_files
        if not files:
            raise JobError(f"job {self.id} has no result files (phase {self.phase})")
        name = name or files[0]["name"]
        local = self.directory / name
        if local.is_file():
            data = local.read_bytes() if name.lower().endswith((".csv", ".csv.gz")) else None
            if data is None:
                return Table.read(local)
        else:
            data = self._client.request("GET", f"/jobs/{self.id}/results/{name}").content
        from deslab.catalog.writers import resolve_format

        try:  # the format by the writers' own extensions (as the job wrote it)
            fmt, _ = resolve_format(Path(name), None, None)
        except DeslabError:
            fmt = None
        if name.lower().endswith(".gz"):
            import gzip

            data = gzip.decompress(data)
        if fmt == "csv":  # DESlab writes ECSV (CSV with a typed header)
            ascii_fmt = "ascii.ecsv" if data.startswith(b"# %ECSV") else "ascii.csv"
            return Table.read(data.decode("utf-8"), format=ascii_fmt)
        return Table.read(io.BytesIO(data), format=fmt)

    def row(self) -> dict[str, Any]:
        d = self._data
        return {"id": self.id, "name": d.get("name"), "type": d.get("type"),
                "phase": d.get("phase"), "created": d.get("created"),
                "duration": d.get("duration"), "destruction": d.get("destruction"),
                "error": d.get("error")}

    def __repr__(self) -> str:
        d = self._data
        return f"<Job {self.id} {d.get('type')} {d.get('phase')} {d.get('name')!r}>"

    def _repr_html_(self) -> str:
        return JobList([self])._repr_html_()


class JobList(list):
    """Jobs shown as a table in a notebook."""

    COLUMNS = ("id", "name", "type", "phase", "created", "duration", "destruction", "error")

    def to_table(self) -> Any:
        from astropy.table import Table

        rows = [j.row() for j in self]
        return Table(rows=[[str(r[c] if r[c] is not None else "") for c in self.COLUMNS]
                           for r in rows] or None, names=self.COLUMNS)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{c}</th>" for c in self.COLUMNS)
        body = []
        for j in self:
            r = j.row()
            if isinstance(r["duration"], float):
                r["duration"] = f"{r['duration']:.1f} s"
            cells = "".join(
                f"<td>{html.escape(str(r[c])) if r[c] is not None else ''}</td>"
                for c in self.COLUMNS
            )
            body.append(f"<tr>{cells}</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    return value


def _create(body: dict[str, Any]) -> Job:
    body = {k: v for k, v in body.items() if v is not None}
    c = client()
    data = c.request("POST", "/jobs", json=body, expect=(201,)).json()
    return Job(data["id"], _data=data, _client=c)


def submit_query(sql: str, output: str | None = None, *, name: str | None = None,
                 format: str | None = None, compression: str | None = None,
                 binds: dict[str, Any] | None = None, timeout: float | None = None,
                 max_file_bytes: int | None = None, execution_duration: int | None = None,
                 lifetime_days: float | None = None, email: bool | None = None) -> Job:
    """Run ``sql`` as a job; the result is written to ``~/jobs/<id>/<output>``.

    Parameters
    ----------
    sql
        One Oracle SQL query; ``:name`` binds take their values from ``binds``.
    output
        File name of the result; its extension picks the format (``.fits``, ``.h5``,
        ``.csv``, ``.csv.gz``, ``.parquet``, ``.vot``); default ``result.fits``.
    name
        A name to recognise the job by.
    format, compression, max_file_bytes, timeout
        As for :func:`deslab.query_to_file`.
    execution_duration
        Seconds the job may run (the service caps it).
    lifetime_days
        Days until the job and its results are deleted (renewable with ``Job.renew``).
    email
        Send an e-mail when it ends (if the platform has e-mail configured).

    Returns
    -------
    Job
    """
    return _create({
        "type": "query", "sql": sql, "output": output, "name": name, "format": format,
        "compression": compression,
        "binds": {k: _jsonable(v) for k, v in (binds or {}).items()} or None,
        "timeout": timeout, "max_file_bytes": max_file_bytes,
        "execution_duration": execution_duration, "lifetime_days": lifetime_days,
        "email": email,
    })


def _positions_csv(positions: Any) -> Any:
    """Positions as the cutout job takes them: CSV text or [[ra, dec], ...]."""
    from deslab.cutouts.positions import names_a_file

    if isinstance(positions, str | os.PathLike):
        path = Path(positions)
        # a file the user names here is read here; the job's worker reads the positions
        if isinstance(positions, os.PathLike) or (
            names_a_file(str(positions)) and path.suffix.lower() == ".csv" and path.is_file()
        ):
            return path.read_text(encoding="utf-8")
        return str(positions)
    if hasattr(positions, "to_csv"):  # pandas
        return positions.to_csv(index=False)
    if hasattr(positions, "colnames"):  # astropy Table
        buf = io.StringIO()
        positions.write(buf, format="ascii.csv")
        return buf.getvalue()
    return [[float(_jsonable(ra)), float(_jsonable(dec))] for ra, dec in positions]


def submit_cutouts(positions: Any, *, name: str | None = None, xsize: float | None = None,
                   ysize: float | None = None, bands: str | None = None,
                   rgb: bool | None = None, execution_duration: int | None = None,
                   lifetime_days: float | None = None, email: bool | None = None,
                   **options: Any) -> Job:
    """Cut stamps around ``positions`` as a job (see :func:`deslab.cutouts`).

    ``positions`` may be a list of (ra, dec), an astropy Table, a pandas DataFrame, CSV text
    or a CSV file, with RA,DEC or COADD_OBJECT_ID columns. Other keyword arguments
    (``rgb_bands``, ``rgb_stretch``, ``rgb_q``, ``rgb_minimum``, ``edge``) are passed on.
    """
    return _create({
        "type": "cutout", "positions": _positions_csv(positions), "name": name,
        "xsize": xsize, "ysize": ysize, "bands": bands, "rgb": rgb,
        "execution_duration": execution_duration, "lifetime_days": lifetime_days,
        "email": email, **options,
    })


def submit_anomaly(sql: str, columns: list[str] | None = None, *, name: str | None = None,
                   binds: dict[str, Any] | None = None, execution_duration: int | None = None,
                   lifetime_days: float | None = None, email: bool | None = None,
                   **options: Any) -> Job:
    """Score the rows of ``sql`` with the Extended Isolation Forest as a job.

    Other keyword arguments (``n_estimators``, ``max_samples``, ``extension_level``,
    ``contamination``, ``random_state``, ``top``, ``drop_invalid``) are passed on.
    """
    return _create({
        "type": "anomaly", "sql": sql, "columns": columns, "name": name,
        "binds": {k: _jsonable(v) for k, v in (binds or {}).items()} or None,
        "execution_duration": execution_duration, "lifetime_days": lifetime_days,
        "email": email, **options,
    })


def jobs(phase: str | None = None, type: str | None = None, limit: int = 100) -> JobList:
    """The caller's jobs, newest first (``phase`` and ``type`` filter, comma-separated)."""
    c = client()
    params: dict[str, Any] = {"limit": limit}
    if phase:
        params["phase"] = phase
    if type:
        params["type"] = type
    data = c.request("GET", "/jobs", params=params).json()
    return JobList(Job(j["id"], _data=j, _client=c) for j in data["jobs"])
