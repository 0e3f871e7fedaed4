"""The ``query`` job: run SQL on the catalog and write the result with ``query_to_file``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from deslab.jobs.tasks import check_cancelled, on_cancel


def run(params: dict[str, Any], output_dir: Path, progress: Callable[[float, str], None]) -> dict:
    """Export the query result to ``output_dir/<output>``.

    Parameters
    ----------
    params
        ``sql``, ``output`` (file name), ``format``, ``compression``, ``binds`` and optionally
        ``max_file_bytes`` (split size) and ``timeout`` (validated by the job service).
    output_dir
        The job's directory, ``~/jobs/<job-id>/``.
    progress
        ``progress(fraction, message)``; raises when the job is cancelled.

    Returns
    -------
    dict
        ``rows``, ``bytes`` and ``files`` (names relative to ``output_dir``).
    """
    from deslab.catalog import connect
    from deslab.catalog.api import query_to_file

    check_cancelled()
    backend = connect(cached=False)
    progress(0.0, "running the query")

    def report(rows: int, message: str = "") -> None:
        # the row count of the result is unknown in advance: report rows, not a fraction
        progress(0.5, message or f"{rows} rows written")

    try:
        with on_cancel(backend.interrupt):
            result = query_to_file(
                params["sql"],
                output_dir / params["output"],
                binds=params.get("binds") or None,
                format=params.get("format"),
                compression=params.get("compression"),
                max_file_bytes=params.get("max_file_bytes"),
                timeout=params.get("timeout"),
                progress=report,
                catalog=backend,
            )
    finally:
        backend.close()
    files = [str(Path(p).relative_to(output_dir)) if Path(p).is_relative_to(output_dir)
             else Path(p).name for p in result.paths]
    return {"rows": int(result.rows), "bytes": int(result.bytes), "files": files}
