"""The local runner: each job in its own worker subprocess on this machine.

The worker runs ``<worker_python> -m deslab.jobs.worker --spec ... --report-fd N`` with an
argv list (never a shell), in a new session so that it and its children form one process
group, survive a restart of the service, and can be signalled together. The service records
the worker's pid and the process start time (from ``/proc``) on the job, so a restarted
service recognises its workers and never signals a recycled pid.

With ``run_as_owner`` (the local platform started as root) every worker runs as its owner's
Unix account (:mod:`deslab_hub.accounts`): the service creates ``~/jobs/<id>/`` for that
account without following links the account made, lets it read its spec (the worker's
directory stays the service's, mode 0711) and starts the worker with the account's uid, gid
and groups; no standby pool is kept then, since a standby worker would not know whose it is.

The worker reports (progress, then the outcome: ``deslab_hub.jobs.outcome``) through a FIFO
in the service's state directory (``<state_dir>/workers/<job-id>/report.fifo``, mode 0600,
in a directory only the service may change). The service opens it for reading first, then
gives the worker only an inherited write descriptor: the job's owner can neither open or
replace the FIFO nor take the descriptor from the worker (it makes itself non-dumpable as
its first statement), and no file in their storage is read. The FIFO keeps what a worker
wrote while the service was down; a restarted service opens it again by path. A worker that
ends without an outcome is described by its exit status.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import uuid
from pathlib import Path
from typing import Any

from deslab_hub.accounts import Account, account_name, ensure_owned_subdirs, lookup
from deslab_hub.jobs.models import JobRecord
from deslab_hub.jobs.outcome import Outcome, Progress, parse_line
from deslab_hub.jobs.runners.base import WorkerHandle, WorkerStatus
from deslab_hub.jobs.safefiles import UnsafeFile

FIFO_NAME = "report.fifo"
MAX_LINE_BYTES = 64 * 1024  # longer lines are not the worker's: dropped


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


class ReportChannel:
    """The service's (reading) end of one worker's report FIFO."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd
        self.buffer = b""
        self.progress: Progress | None = None
        self.outcome: Outcome | None = None

    @classmethod
    def create(cls, path: Path) -> tuple[ReportChannel, int]:
        """Make the FIFO at ``path``; return the channel and the write descriptor to hand
        to the worker (the caller closes its copy once the worker has it)."""
        path.unlink(missing_ok=True)
        os.mkfifo(path, 0o600)
        read_fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        write_fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        return cls(path, read_fd), write_fd

    @classmethod
    def reopen(cls, path: Path) -> ReportChannel | None:
        """The channel of a worker started by an earlier run of the service; None if the
        worker left none.

        Raises
        ------
        UnsafeFile
            If something else than a FIFO is there (a symlink, a file, a directory): the
            job's reports cannot be trusted, so it cannot be followed.
        """
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(path, flags)
        except FileNotFoundError:
            return None
        except OSError as exc:
            what = "a symbolic link" if exc.errno == errno.ELOOP else f"unusable ({exc.strerror})"
            raise UnsafeFile(f"{path.name} is {what}, not the worker's FIFO") from None
        mode = os.fstat(fd)
        if not stat.S_ISFIFO(mode.st_mode):
            os.close(fd)
            what = "a directory" if stat.S_ISDIR(mode.st_mode) else (
                f"a file of {mode.st_size} bytes")
            raise UnsafeFile(f"{path.name} is {what}, not the worker's FIFO")
        return cls(path, fd)

    def read(self) -> None:
        """Take in everything the worker wrote so far."""
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                break
            if not chunk:  # no writer left
                break
            self.buffer += chunk
            *lines, self.buffer = self.buffer.split(b"\n")
            if len(self.buffer) > MAX_LINE_BYTES:
                self.buffer = b""
            for line in lines:
                report = parse_line(line) if len(line) <= MAX_LINE_BYTES else None
                if isinstance(report, Outcome) and self.outcome is None:
                    self.outcome = report
                elif isinstance(report, Progress):
                    self.progress = report

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


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
        else:
            os.chmod(self.root, 0o700)
        self.procs: dict[str, subprocess.Popen] = {}
        self.channels: dict[str, ReportChannel] = {}
        self.pool: list[tuple[subprocess.Popen, ReportChannel]] = []
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
        alive = []
        for proc, channel in self.pool:
            if proc.poll() is None:
                alive.append((proc, channel))
            else:
                channel.close()
                channel.path.unlink(missing_ok=True)
        self.pool = alive
        standby = self.root / "standby"
        standby.mkdir(exist_ok=True, mode=0o700)
        while not self.settings.run_as_owner and len(self.pool) < self.settings.worker_pool_size:
            channel, write_fd = ReportChannel.create(standby / f"{uuid.uuid4().hex}.fifo")
            try:
                with open(self.root / "standby.log", "ab") as log:
                    proc = subprocess.Popen(  # argv list, no shell
                        [self.settings.worker_python, "-m", "deslab.jobs.worker", "--standby",
                         "--report-fd", str(write_fd), "--grace", self._grace(), *self._limits()],
                        stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                        env=self._standby_env(), cwd=self.root, start_new_session=True,
                        close_fds=True, pass_fds=(write_fd,),
                    )
            except BaseException:
                channel.close()
                channel.path.unlink(missing_ok=True)
                raise
            finally:
                os.close(write_fd)
            self.pool.append((proc, channel))

    def _hand_over(self, msg: dict[str, Any], fifo: Path
                   ) -> tuple[subprocess.Popen, ReportChannel] | None:
        """Give the job to a standby worker; None if none is ready."""
        while self.pool:
            proc, channel = self.pool.pop(0)
            if proc.poll() is not None or proc.stdin is None:
                channel.close()
                channel.path.unlink(missing_ok=True)
                continue
            try:
                channel.path.rename(fifo)  # the same FIFO, where a restarted service looks
                channel.path = fifo
                proc.stdin.write((json.dumps(msg) + "\n").encode())
                proc.stdin.close()
            except OSError:
                channel.close()
                continue
            return proc, channel
        return None

    def close(self) -> None:
        """Let the standby workers go (end of input makes them exit)."""
        for proc, channel in self.pool:
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
            channel.close()
            channel.path.unlink(missing_ok=True)
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
        spec_path, fifo = work / "spec.json", work / FIFO_NAME
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        old = self.channels.pop(job.id, None)
        if old is not None:
            old.close()
        handed = None if account is not None else self._hand_over({
            "spec": str(spec_path), "log": str(work / "worker.log"),
            "cwd": spec["output_dir"], "env": env,
        }, fifo)
        if handed is not None:
            proc, channel = handed
        else:
            channel, write_fd = ReportChannel.create(fifo)
            argv = [
                self.settings.worker_python, "-m", "deslab.jobs.worker",
                "--spec", str(spec_path), "--report-fd", str(write_fd),
                "--grace", self._grace(), *self._limits(),
            ]
            as_owner: dict[str, Any] = {}
            if account is not None:
                os.chmod(work, 0o711)  # the owner may read its spec, never change the folder
                os.chown(spec_path, account.uid, account.gid)
                env = {**env, "USER": account.name, "LOGNAME": account.name}
                as_owner = {"user": account.uid, "group": account.gid,
                            "extra_groups": account.groups}
            try:
                with open(work / "worker.log", "ab") as log:
                    proc = subprocess.Popen(  # argv list, no shell
                        argv,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=env,
                        cwd=spec["output_dir"],
                        start_new_session=True,
                        close_fds=True,
                        pass_fds=(write_fd,),
                        **as_owner,
                    )
            except BaseException:
                channel.close()
                raise
            finally:
                os.close(write_fd)
        self.fill_pool()
        self.procs[job.id] = proc
        self.channels[job.id] = channel
        started = process_start_time(proc.pid) or ""
        return WorkerHandle(host=self.host, pid=proc.pid, ref=f"{proc.pid}:{started}")

    def status(self, job: JobRecord) -> WorkerStatus | None:
        channel = self.channels.get(job.id)
        if channel is None:
            channel = ReportChannel.reopen(self.workdir(job.id) / FIFO_NAME)
            if channel is None:
                return None
            self.channels[job.id] = channel
        channel.read()
        if channel.outcome is not None:
            return WorkerStatus.from_outcome(channel.outcome)
        if channel.progress is not None:
            p = channel.progress
            return WorkerStatus(state="running", progress=p.progress, message=p.message,
                                heartbeat=p.heartbeat, summary=None, error=None)
        return None

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
        channel = self.channels.pop(job.id, None)
        if channel is not None:
            channel.close()
        work = self.workdir(job.id)
        for name in ("spec.json", FIFO_NAME):
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
