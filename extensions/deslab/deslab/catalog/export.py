"""Streaming export of a query result to files: atomic, size-limited, with provenance.

Batches of Arrow rows go from the backend straight into a format writer, so memory stays
bounded whatever the size of the result. Every file is written under a temporary name in
the target directory and renamed into place only when the whole export succeeded; on any
failure (an error, Ctrl-C, SIGTERM, a full disk) the temporary files are removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from deslab._version import __version__
from deslab.catalog.backends.base import Backend
from deslab.catalog.dialect import Statement
from deslab.catalog.metadata import column_lookup
from deslab.catalog.writers import Provenance, Writer, resolve_format, split_extension, writer_class
from deslab.catalog.writers.columns import string_columns
from deslab.errors import DeslabError, ExportError

BATCH_ROWS = 1 << 17
READ_AHEAD = 1  # batches read while the previous one is written (each ~25 MB of 46 columns)

Progress = Callable[[int, str], None]


@dataclass
class ExportResult:
    """What an export wrote.

    Attributes
    ----------
    paths : list of Path
        The files, in order (one unless the export was split by ``max_file_bytes``).
    rows : int
        Rows written over all files.
    bytes : int
        Bytes written over all files.
    format : str
        ``fits``, ``hdf5``, ``csv``, ``parquet`` or ``votable``.
    seconds : float
        Wall time of the export.
    """

    paths: list[Path] = field(default_factory=list)
    rows: int = 0
    bytes: int = 0
    format: str = ""
    seconds: float = 0.0

    def __repr__(self) -> str:
        names = ", ".join(p.name for p in self.paths)
        return (f"ExportResult({self.rows} rows, {self.bytes} bytes, {self.format}, "
                f"{self.seconds:.2f} s: {names})")


class ReadAhead:
    """Iterate a batch stream in a background thread, ``depth`` batches ahead of the consumer.

    The database produces the next batch while the writer packs and writes the previous one,
    so an export costs about the longer of the two instead of their sum. Errors raised while
    reading reach the consumer unchanged. :meth:`close` (always call it) stops the reader:
    when the stream is not finished it interrupts the statement through ``interrupt``, then
    waits for the thread, so the caller may release the cursor afterwards.
    """

    _END = object()

    def __init__(self, batches, interrupt: Callable[[], None], depth: int = READ_AHEAD) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._interrupt = interrupt
        self._thread = threading.Thread(target=self._read, args=(batches,),
                                        name="deslab-export-read", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _read(self, batches) -> None:
        try:
            for batch in batches:
                if not self._put(batch):
                    return
            self._put(self._END)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._interrupt()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get_nowait()  # unblock a waiting put
            self._thread.join(0.05)


class _Terminated(BaseException):
    """SIGTERM arrived during an export (cleaned up, then the signal is re-delivered)."""


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Make SIGTERM raise inside the block (main thread only), so cleanup runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.getsignal(signal.SIGTERM)
    if old is signal.SIG_IGN:
        yield
        return

    def handler(signum, frame):
        raise _Terminated()

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, old)
        if callable(old):
            old(signal.SIGTERM, None)
        else:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        raise SystemExit(128 + signal.SIGTERM) from None
    finally:
        if signal.getsignal(signal.SIGTERM) is handler:
            signal.signal(signal.SIGTERM, old)


def _dedupe(schema: pa.Schema) -> pa.Schema:
    """Rename repeated column names (``RA``, ``RA_2``) - files cannot hold duplicates."""
    seen: dict[str, int] = {}
    fields = []
    for f in schema:
        key = f.name.upper()
        if key in seen:
            seen[key] += 1
            f = f.with_name(f"{f.name}_{seen[key]}")
        else:
            seen[key] = 1
        fields.append(f)
    return pa.schema(fields, metadata=schema.metadata)


def _os_error(exc: OSError, path: Path) -> ExportError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ExportError(
            f"the disk holding {path.parent} is full (no space left while writing "
            f"{path.name}); nothing was kept: free some room or write elsewhere"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ExportError(f"cannot write to {path.parent}: permission denied; choose a "
                           "directory you can write to (e.g. your home)")
    return ExportError(f"writing {path.name} in {path.parent} failed: {exc.strerror or exc}; "
                       "nothing was kept: choose another location")


def check_target(path: Path) -> None:
    """Refuse an output location that cannot work, before any query runs."""
    parent = path.parent
    if path.is_dir():
        raise ExportError(f"{path} is a directory: give a file name, e.g. {path / 'out.fits'}")
    if not parent.is_dir():
        raise ExportError(f"the directory {parent} does not exist: create it first or "
                          "choose another location")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write to {parent}: permission denied; choose a directory "
                          "you can write to (e.g. your home)")


def part_path(path: Path, part: int) -> Path:
    """``out.fits`` -> ``out-001.fits`` (part numbers of a split export)."""
    stem, ext = split_extension(path)
    return path.with_name(f"{stem}-{part:03d}{ext}")


def export(backend: Backend, stmt: Statement, binds: dict, path: str | os.PathLike, *,
           format: str | None = None, compression: str | None = None,
           max_file_bytes: int | None = None, timeout: float | None = None,
           progress: Progress | None = None, batch_rows: int = BATCH_ROWS) -> ExportResult:
    """Run ``stmt`` and stream its rows into ``path`` (see :func:`deslab.query_to_file`)."""
    started = time.perf_counter()
    path = Path(os.path.expanduser(os.fspath(path))).absolute()
    if path.is_dir():
        raise ExportError(f"{path} is a directory: give a file name, e.g. {path / 'out.fits'}")
    fmt, comp = resolve_format(path, format, compression)
    if max_file_bytes is not None and (not isinstance(max_file_bytes, int)
                                       or max_file_bytes <= 0):
        raise ExportError(f"max_file_bytes must be a positive number of bytes, not "
                          f"{max_file_bytes!r}")
    check_target(path)
    writer_cls = writer_class(fmt)
    base = Provenance(
        query=stmt.sql,
        catalog=str(backend.url),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        deslab_version=__version__,
    )
    result = ExportResult(format=fmt)
    with _sigterm_raises():
        _run(backend, stmt, binds, path, writer_cls, base, comp, max_file_bytes, timeout,
             progress, batch_rows, result)
    result.seconds = time.perf_counter() - started
    return result


def _write_all(batches, schema: pa.Schema, writer: Writer, new_writer: Callable[[], Writer],
               max_file_bytes: int | None, progress: Progress | None,
               result: ExportResult) -> None:
    """Write every batch, starting a new file (``new_writer``) whenever one would pass
    ``max_file_bytes``; close the last file."""
    for batch in batches:
        if batch.schema.names != schema.names:
            batch = pa.RecordBatch.from_arrays(batch.columns, schema=schema)
        while batch.num_rows:
            piece = batch
            if max_file_bytes:
                per_row = max(writer.estimate_bytes(batch) / batch.num_rows, 1)
                room = max_file_bytes - writer.bytes_written
                fit = int(room // per_row)
                if fit <= 0 and writer.rows:
                    writer.close()
                    writer = new_writer()
                    continue
                piece = batch.slice(0, max(fit, 1))
            writer.write(piece)
            result.rows += piece.num_rows
            batch = batch.slice(piece.num_rows)
        if progress is not None:
            progress(result.rows, f"{result.rows} rows written")
    writer.close()


def _run(backend, stmt, binds, path, writer_cls, base, comp, max_file_bytes, timeout,
         progress, batch_rows, result) -> None:
    token = secrets.token_hex(4)
    temps: list[Path] = []
    finals: list[Path] = []
    writers: list[Writer] = []
    try:
        with backend.deadline(timeout):
            reader = backend.stream(stmt, binds, batch_rows)
            try:
                schema = _dedupe(reader.schema)
                meta = column_lookup(backend, stmt.tables)
                widths = {}
                if writer_cls.needs_string_widths:
                    widths = backend.string_widths(stmt, binds, string_columns(reader.schema))
                    widths = {schema.field(i).name: widths.get(f.name, 1)
                              for i, f in enumerate(reader.schema) if f.name in widths}

                def new_writer() -> Writer:
                    part = len(writers) + 1
                    temp = path.with_name(f".{path.name}.{token}.{part}.tmp")
                    temps.append(temp)
                    prov = Provenance(**{**base.__dict__, "part": part, "extra": {}})
                    w = writer_cls(temp, schema, prov, meta, widths, comp)
                    writers.append(w)
                    return w

                writer = new_writer()
                batches = ReadAhead(reader, getattr(reader, "interrupt", backend.interrupt))
                try:
                    _write_all(batches, schema, writer, new_writer, max_file_bytes, progress,
                               result)
                finally:
                    batches.close()
            finally:
                close = getattr(reader, "close", None)
                if close is not None:
                    close()
        if len(temps) == 1:
            finals.append(path)
        else:
            finals.extend(part_path(path, k) for k in range(1, len(temps) + 1))
        for temp, final in zip(temps, finals, strict=True):
            os.replace(temp, final)
    except BaseException as exc:
        for w in writers:
            w.abort()
        for p in temps:
            with contextlib.suppress(OSError):
                p.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, DeslabError):
            raise _os_error(exc, path) from None
        if isinstance(exc, pa.ArrowException):
            if isinstance(getattr(exc, "__context__", None), OSError):
                raise _os_error(exc.__context__, path) from None
            raise ExportError(f"writing {path.name} failed: {exc}; nothing was kept") from None
        raise
    result.paths = finals
    result.bytes = sum(p.stat().st_size for p in finals)
