"""Stopping the local platform: quickly, completely, and at once on a second Ctrl-C.

``deslab-hub up`` is a child subreaper, so every process it started (the proxy, the services,
user servers, their kernels and terminals, job workers), and anything those left orphaned,
stays below it. A first SIGINT/SIGTERM lets the hub stop the servers and services gracefully
within :data:`GRACEFUL_SECONDS`; whatever still runs after that is terminated, then killed.
A second SIGINT/SIGTERM kills everything below at once. Either way the platform exits only
after every process below it is gone, so nothing is left re-parented to init.
"""

from __future__ import annotations

import ctypes
import signal
import time

import psutil

PR_SET_CHILD_SUBREAPER = 36
# the hub's own graceful stop (servers, services, proxy) may take this long
GRACEFUL_SECONDS = 5.5
# then what is left gets SIGTERM, and SIGKILL after this long
TERM_SECONDS = 1.5


def become_subreaper() -> None:
    """Adopt orphaned descendants (e.g. kernels of a killed server) so they are stopped too."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def kill_process_tree(procs: list[psutil.Process], timeout: float = 5.0) -> None:
    """Terminate ``procs`` (SIGTERM, then SIGKILL after ``timeout``) and wait for them."""
    alive = []
    for p in procs:
        try:
            p.send_signal(signal.SIGTERM)
            alive.append(p)
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(alive, timeout=timeout)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=timeout)


def running_descendants() -> list[psutil.Process]:
    """The processes below this one that have not exited (zombies are reaped, not listed)."""
    try:
        procs = psutil.Process().children(recursive=True)
    except psutil.Error:
        return []
    alive = []
    for p in procs:
        try:
            if p.status() == psutil.STATUS_ZOMBIE:
                p.wait(timeout=0)  # reap it if it is our child
            else:
                alive.append(p)
        except (psutil.Error, psutil.TimeoutExpired, ChildProcessError):
            continue
    return alive


def stop_descendants(timeout: float = TERM_SECONDS) -> list[psutil.Process]:
    """Stop every process below this one: SIGTERM, SIGKILL after ``timeout``; repeated
    while new orphans turn up (a dying server's kernels are adopted by this process).

    Returns
    -------
    list of psutil.Process
        The processes that had to be stopped.
    """
    stopped: list[psutil.Process] = []
    for _ in range(5):
        procs = running_descendants()
        if not procs:
            break
        stopped += procs
        kill_process_tree(procs, timeout=timeout)
    return stopped


def kill_descendants_now(deadline: float = 3.0) -> None:
    """SIGKILL every process below this one, until none is left or ``deadline`` s passed."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        procs = running_descendants()
        if not procs:
            return
        for p in procs:
            try:
                p.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(procs, timeout=0.5)
