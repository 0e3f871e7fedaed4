"""The local runner: each job in its own worker subprocess on this machine.

The worker runs ``<worker_python> -m deslab.jobs.worker --spec ... --status ...`` with an
argv list (never a shell), in a new session so that it and its children form one process
group, survive a restart of the service, and can be signalled together. The service records
the worker's pid and the process start time (from ``/proc``) on the job, so a restarted
service recognises its workers and never signals a recycled pid.

With ``run_as_owner`` (the local platform started as root) every worker runs as its owner's
Unix account (:mod:`deslab_hub.accounts`): the service creates ``~/jobs/<id>/`` for that
account without following links the account made, hands it the worker's directory (spec and
status files), and starts the worker with the account's uid, gid and groups; no standby pool
is kept then, since a standby worker would not know whose it is.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

from deslab_hub.accounts import Account, account_name, ensure_owned_subdirs, lookup
from deslab_hub.jobs.models import JobRecord
from deslab_hub.jobs.runners.base import WorkerHandle, WorkerStatus, read_status


def process_start_time(pid: int) -> str | None:
    """The start time of ``pid`` in clock ticks since boot (``/proc/<pid>/stat`` field 22)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):  # zombie or dead
        return None
    return fields[19]


class LocalRunner:
    """Worker subprocesses of the service."""

    name = "local"

    def __init__(self, settings: Any, log: Any) -> None:
        self.settings = settings
        self.log = log
        self.host = socket.gethostname()
        self.root = Path(settings.state_dir) / "workers"
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if settings.run_as_owner:
            # owners' workers reach their own directory below, nothing else
            for path in (self.root.parent, self.root):
                os.chmod(path, 0o711)
        self.procs: dict[str, subprocess.Popen] = {}
        self.pool: list[subprocess.Popen] = []
        self.fill_pool()

    def workdir(self, job_id: str) -> Path:
        return self.root / job_id

    def _grace(self) -> str:
        return str(max(1.0, self.settings.cancel_grace - 1.0))

    def _limits(self) -> list[str]:
        """Worker options for the limits it applies to itself (memory)."""
        return ["--memory-limit", str(max(0, self.settings.worker_memory_limit))]

    def _standby_env(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in self.settings.worker_env_passthrough if k in os.environ}
        env.update(self.settings.worker_environment)
        env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        return env

    def fill_pool(self) -> None:
        """Start standby workers (``--standby``) up to ``worker_pool_size``."""
        self.pool = [p for p in self.pool if p.poll() is None]
        while not self.settings.run_as_owner and len(self.pool) < self.settings.worker_pool_size:
            with open(self.root / "standby.log", "ab") as log:
                self.pool.append(subprocess.Popen(  # argv list, no shell
                    [self.settings.worker_python, "-m", "deslab.jobs.worker", "--standby",
                     "--grace", self._grace(), *self._limits()],
                    stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                    env=self._standby_env(), cwd=self.root, start_new_session=True,
                    close_fds=True,
                ))

    def _hand_over(self, msg: dict[str, Any]) -> subprocess.Popen | None:
        """Give the job to a standby worker; None if none is ready."""
        while self.pool:
            proc = self.pool.pop(0)
            if proc.poll() is not None or proc.stdin is None:
                continue
            try:
                proc.stdin.write((json.dumps(msg) + "\n").encode())
                proc.stdin.close()
            except OSError:
                continue
            return proc
        return None

    def close(self) -> None:
        """Let the standby workers go (end of input makes them exit)."""
        for proc in self.pool:
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
        self.pool = []

    def owner_account(self, job: JobRecord) -> Account:
        """The owner's system account, after creating ``~/jobs/<id>/`` for it.

        Raises
        ------
        RuntimeError
            When the owner has no account yet (they never started a server) or its home is
            not the job's.
        """
        name = account_name(job.owner, self.settings.account_prefix)
        account = lookup(name)
        output = Path(job.output_dir)
        home = output.parent.parent
        if account is None or account.uid == 0 or Path(account.home) != home:
            raise RuntimeError(
                f"{job.owner} has no system account with the home {home} yet; "
                f"start your server once (log in) and submit the job again"
            )
        ensure_owned_subdirs(home, [output.parent.name, output.name], account)
        return account

    async def start(self, job: JobRecord, spec: dict[str, Any], env: dict[str, str]
                    ) -> WorkerHandle:
        account = self.owner_account(job) if self.settings.run_as_owner else None
        work = self.workdir(job.id)
        if account is not None:
            # a directory the owner had (an earlier attempt) may hold their links: start afresh
            shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True, mode=0o700)
        spec_path, status_path = work / "spec.json", work / "status.json"
        status_path.unlink(missing_ok=True)
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        proc = None if account is not None else self._hand_over({
            "spec": str(spec_path), "status": str(status_path), "log": str(work / "worker.log"),
            "cwd": spec["output_dir"], "env": env,
        })
        if proc is None:
            argv = [
                self.settings.worker_python, "-m", "deslab.jobs.worker",
                "--spec", str(spec_path), "--status", str(status_path), "--grace", self._grace(),
                *self._limits(),
            ]
            as_owner: dict[str, Any] = {}
            with open(work / "worker.log", "ab") as log:
                if account is not None:
                    for path in (work, spec_path):
                        os.chown(path, account.uid, account.gid)
                    env = {**env, "USER": account.name, "LOGNAME": account.name}
                    as_owner = {"user": account.uid, "group": account.gid,
                                "extra_groups": account.groups}
                proc = subprocess.Popen(  # argv list, no shell
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=spec["output_dir"],
                    start_new_session=True,
                    close_fds=True,
                    **as_owner,
                )
        self.fill_pool()
        self.procs[job.id] = proc
        started = process_start_time(proc.pid) or ""
        return WorkerHandle(host=self.host, pid=proc.pid, ref=f"{proc.pid}:{started}")

    def status(self, job: JobRecord) -> WorkerStatus | None:
        return read_status(self.workdir(job.id) / "status.json")

    def _same_process(self, job: JobRecord) -> bool:
        if not job.worker_pid or job.worker_host != self.host:
            return False
        started = (job.worker_ref or "").partition(":")[2]
        now = process_start_time(job.worker_pid)
        return now is not None and (not started or now == started)

    def alive(self, job: JobRecord) -> bool | None:
        proc = self.procs.get(job.id)
        if proc is not None:
            return proc.poll() is None
        if job.worker_host and job.worker_host != self.host:
            return None
        return self._same_process(job)

    def exit_reason(self, job: JobRecord) -> str:
        proc = self.procs.get(job.id)
        if proc is None or proc.returncode is None:
            return "the worker process is gone"
        code = proc.returncode
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the worker process was killed by {name}"
        return f"the worker process exited with status {code} without reporting a result"

    def _signal(self, job: JobRecord, sig: int) -> None:
        proc = self.procs.get(job.id)
        if proc is not None:
            if proc.poll() is not None:
                return
            pgid = proc.pid
        elif self._same_process(job):
            pgid = int(job.worker_pid or 0)
        else:
            return
        if pgid <= 1:
            return
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            self.log.warning("not allowed to signal worker of job %s", job.id)

    async def terminate(self, job: JobRecord) -> None:
        self._signal(job, signal.SIGTERM)

    async def kill(self, job: JobRecord) -> None:
        self._signal(job, signal.SIGKILL)

    def forget(self, job: JobRecord) -> None:
        proc = self.procs.get(job.id)
        if proc is not None and proc.poll() is None:
            return  # still running: keep the handle (the caller kills it first)
        self.procs.pop(job.id, None)
        work = self.workdir(job.id)
        for name in ("spec.json", "status.json"):
            try:
                (work / name).unlink(missing_ok=True)
            except OSError:  # something else was put there (a directory): leave it
                self.log.warning("job %s: cannot remove %s", job.id, work / name)

    def purge(self, job_id: str) -> None:
        """Remove everything the runner kept for a deleted job (its log too)."""
        work = self.workdir(job_id)
        for child in work.glob("*"):
            child.unlink(missing_ok=True)
        try:
            work.rmdir()
        except OSError:
            pass
