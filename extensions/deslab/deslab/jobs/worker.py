"""``python -m deslab.jobs.worker --spec SPEC.json --report-fd N``: run one job.

The job service starts one worker per job (a local subprocess or a Kubernetes pod). The spec
says what to run::

    {"job_id": "...", "type": "query", "params": {...}, "output_dir": "/home/u/jobs/<id>"}

(In a Kubernetes pod, ``--spec-env DESLAB_JOB_SPEC`` reads the spec from the environment;
the local runner keeps ``--standby`` workers that have imported the task modules already and
read their job from stdin, so a job does not wait for Python's imports.)

The worker reports to the service through channels the job's owner cannot write
(:mod:`deslab.jobs.report`): ``--report-fd`` (the local runner's FIFO: progress lines, then
the outcome) and ``--outcome-file`` (``/dev/termination-log`` in a pod, which Kubernetes puts
into the pod's status). The outcome names the final state (``completed``, ``error``,
``aborted``), the error, the result files with their sizes and the task's summary.
``--status FILE`` also writes the old-style JSON status file (``state``, ``progress``,
``message``, ``heartbeat``, ``summary``, ``error``, ``pid``) for running a worker by hand;
the job service never reads it.

SIGTERM (or SIGINT) cancels: the task's interrupt hooks run at once (the database statement
is cancelled), :class:`~deslab.jobs.tasks.JobCancelled` is raised in the task so exports remove
their partial files, and the outcome is ``aborted``. If the task has not stopped after
``--grace`` seconds the worker exits anyway. Exit codes: 0 completed, 1 error, 2 bad
invocation, 143 aborted.
"""

from __future__ import annotations

from deslab.jobs.report import Reporter, make_undumpable

if __name__ == "__main__":  # first, before the slow imports: see deslab.jobs.report
    make_undumpable()

import argparse
import ctypes
import errno
import json
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from deslab.errors import DeslabError
from deslab.jobs import limits, tasks

HEARTBEAT_SECONDS = float(os.environ.get("DESLAB_JOBS_HEARTBEAT", "2"))


class StatusFile:
    """The worker's state, sent to its reporter and (by hand) to an optional status file.

    Progress goes to the reporter as it happens; the final state (once, never undone) goes
    out as the outcome, with the result files found in ``output_dir``.
    """

    def __init__(self, path: Path | None, job_id: str, reporter: Reporter | None = None,
                 output_dir: Path | None = None) -> None:
        self.path = path
        self.reporter = reporter or Reporter()
        self.output_dir = output_dir
        self.lock = threading.RLock()  # the SIGTERM handler may update mid-update
        self.state: dict[str, Any] = {
            "job_id": job_id,
            "pid": os.getpid(),
            "state": "running",
            "progress": 0.0,
            "message": "starting",
            "heartbeat": time.time(),
            "summary": None,
            "error": None,
        }

    def update(self, **fields: Any) -> None:
        with self.lock:
            if self.state["state"] != "running":
                return  # never go back from (or repeat) a final state
            self.state.update(fields)
            self.state["heartbeat"] = time.time()
            self._write_file()
            state = self.state["state"]
            if state == "running":
                self.reporter.progress(float(self.state["progress"]), str(self.state["message"]))
            else:
                self.reporter.finish(state, error=self.state["error"],
                                     output_dir=self.output_dir, summary=self.state["summary"])

    def _write_file(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.state, f, default=str)
            os.replace(tmp, self.path)
        except OSError as exc:  # a full disk must not kill the worker's report
            print(f"deslab worker: cannot write status: {exc}", file=sys.stderr)
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass


def describe_error(exc: BaseException, job_type: str) -> str:
    """The message recorded on a job that failed (never a traceback)."""
    memory = limits.memory_message(exc)
    if memory is not None:
        return memory
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (
            "the disk holding the job's results filled up while writing them "
            f"({os.strerror(exc.errno)}); delete old results (deslab.jobs(), Job.delete()) or "
            "ask for a smaller result (a row cap, fewer columns), then run the job again"
        )
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return describe_error(cause, job_type) + (f" [{exc}]" if str(exc) else "")
    if isinstance(exc, DeslabError):
        return str(exc)
    text = str(exc).splitlines()[0][:500] if str(exc) else ""
    return f"the {job_type} task failed: {type(exc).__name__}" + (f": {text}" if text else "")


def _raise_in_thread(thread: threading.Thread, exc_type: type[BaseException]) -> None:
    """Ask ``thread`` to raise ``exc_type`` at its next Python instruction."""
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(exc_type)
        )


def run_job(spec: dict[str, Any], status: StatusFile, grace: float) -> int:
    """Run the job in ``spec``, reporting to ``status``; returns the exit code."""
    job_type = str(spec.get("type", ""))
    output_dir = Path(spec["output_dir"])
    outcome: dict[str, Any] = {}
    budget = limits.ByteBudget.from_spec(spec)

    def progress(fraction: float, message: str = "") -> None:
        tasks.check_cancelled()
        budget.check()  # after each write batch: stop before passing the disk quota
        try:
            value = min(1.0, max(0.0, float(fraction)))
        except (TypeError, ValueError):
            value = 0.0
        status.update(progress=value, message=str(message)[:500])

    def target() -> None:
        try:
            module = tasks.load(job_type)
            output_dir.mkdir(parents=True, exist_ok=True)
            summary = module.run(dict(spec.get("params") or {}), output_dir, progress)
            budget.check(force=True)
            outcome["summary"] = json.loads(json.dumps(summary or {}, default=str))
        except BaseException as exc:  # noqa: BLE001 - every end must be reported
            outcome["exc"] = exc
            if not isinstance(exc, tasks.JobCancelled | KeyboardInterrupt):
                traceback.print_exc()

    cancel_at: list[float] = []

    def on_signal(signum: int, _frame: Any) -> None:
        if not cancel_at:
            cancel_at.append(time.monotonic())
            status.update(message="cancelling")
            tasks.request_cancel()
            _raise_in_thread(worker, tasks.JobCancelled)

    worker = threading.Thread(target=target, name=f"job-{spec.get('job_id')}", daemon=True)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if hasattr(signal, "SIGXFSZ"):  # a file-size limit becomes EFBIG, not a silent death
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    status.update(state="running", message="running")
    worker.start()
    last_beat = time.monotonic()
    while worker.is_alive():
        worker.join(0.2)
        now = time.monotonic()
        if cancel_at and now - cancel_at[0] > grace:
            status.update(state="aborted", message="cancelled", error="the job was cancelled")
            return 143
        if now - last_beat >= HEARTBEAT_SECONDS:
            status.update()
            last_beat = now
    exc = outcome.get("exc")
    if cancel_at or isinstance(exc, tasks.JobCancelled):
        status.update(state="aborted", message="cancelled", error="the job was cancelled")
        return 143
    if exc is not None:
        status.update(state="error", message="failed", error=describe_error(exc, job_type))
        return 1
    status.update(state="completed", progress=1.0, message="completed",
                  summary=outcome.get("summary") or {})
    return 0


def standby() -> tuple[Path, Path | None]:
    """Pre-import the tasks' modules, then wait for a job on stdin (local runner's pool).

    The service writes one JSON line: ``spec`` (path), ``log`` (file that becomes stdout and
    stderr), ``cwd``, ``env`` (the job's whole environment) and optionally ``status`` (a
    status file, for running by hand). The report channel (``--report-fd``) was given when
    the standby worker started. End of input before that line means the service has gone:
    exit quietly.
    """
    import importlib

    for name in os.environ.get("DESLAB_JOBS_PRELOAD", "deslab.catalog.api").split(","):
        if name.strip():
            try:
                importlib.import_module(name.strip())
            except Exception as exc:  # the job will report the real error
                print(f"deslab worker: cannot preload {name}: {exc}", file=sys.stderr)
    line = sys.stdin.readline()
    if not line.strip():
        os._exit(0)
    msg = json.loads(line)
    fd = os.open(msg["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in msg["env"].items()})
    os.chdir(msg["cwd"])
    status = msg.get("status")
    return Path(msg["spec"]), (Path(status) if status else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deslab.jobs.worker", description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--spec", type=Path, help="job spec (JSON file)")
    source.add_argument("--spec-env", metavar="NAME",
                        help="environment variable holding the job spec as JSON (pods)")
    source.add_argument("--standby", action="store_true",
                        help="import the task modules now, then read the job from stdin")
    parser.add_argument("--report-fd", type=int, metavar="N",
                        help="write end of the job service's FIFO (local runner)")
    parser.add_argument("--outcome-file", type=Path, metavar="PATH",
                        help="where the outcome goes in a pod (/dev/termination-log)")
    parser.add_argument("--report-wait", type=float, default=600.0, metavar="SECONDS",
                        help="how long to keep offering the outcome while the service is down")
    parser.add_argument("--status", type=Path,
                        help="also write a JSON status file (running a worker by hand)")
    parser.add_argument("--grace", type=float, default=10.0,
                        help="seconds a cancelled task gets to stop before the worker exits")
    parser.add_argument("--memory-limit", type=int, default=0, metavar="BYTES",
                        help="cap the worker's address space (RLIMIT_AS); 0: no cap")
    args = parser.parse_args(argv)
    limits.apply_memory_limit(args.memory_limit)
    if args.standby:
        args.spec, handed_status = standby()
        args.status = args.status or handed_status
    if args.status is None and args.report_fd is None and args.outcome_file is None:
        parser.error("give --report-fd, --outcome-file or --status")
    try:
        if args.spec_env:
            spec = json.loads(os.environ.get(args.spec_env) or "null")
        else:
            spec = json.loads(args.spec.read_text(encoding="utf-8"))
        if not isinstance(spec, dict) or "output_dir" not in spec:
            raise ValueError("the spec must be an object with type, params and output_dir")
    except (OSError, ValueError) as exc:
        print(f"deslab worker: cannot read the job spec: {exc}", file=sys.stderr)
        return 2
    if args.status is not None:
        try:
            args.status.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(f"deslab worker: cannot create {args.status.parent}: {exc}", file=sys.stderr)
            return 2
    reporter = Reporter(args.report_fd, args.outcome_file, args.report_wait)
    status = StatusFile(args.status, str(spec.get("job_id", "")), reporter,
                        Path(spec["output_dir"]))
    code = run_job(spec, status, args.grace)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # do not wait for a task thread stuck in C after a cancel


if __name__ == "__main__":
    sys.exit(main())
