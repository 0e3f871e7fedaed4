"""The ``anomaly`` job: score a whole query result (or a table file) with the EIF.

Writes into the job directory the scored table (every row with ``ANOMALY_SCORE``,
``ANOMALY_RANK`` and ``ANOMALY_FLAG``), the top anomalies as CSV, and PNG figures: the score
histogram, the top anomalies on a colour-colour / colour-magnitude diagram (the first two
feature columns) and, for two features, the score map.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deslab.jobs.tasks import check_cancelled, on_cancel

DEFAULT_OUTPUT = "anomaly_scores.parquet"
FORMATS = {".parquet": "parquet", ".fits": "fits", ".csv": "ascii.csv", ".ecsv": "ascii.ecsv",
           ".h5": "hdf5", ".hdf5": "hdf5", ".vot": "votable", ".xml": "votable"}
MODEL_PARAMS = ("n_estimators", "max_samples", "extension_level", "max_depth", "random_state",
                "contamination", "top")


def _write(table: Any, path: Path) -> None:
    """Write atomically: a temporary name in the same directory, then rename."""
    suffix = path.suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        from deslab.errors import AnomalyError

        raise AnomalyError(
            f"cannot write {path.name!r}: use one of {', '.join(sorted(FORMATS))}"
        )
    tmp = path.with_name(f".{path.name}.part{suffix}")
    try:
        kwargs = {"path": "data", "serialize_meta": True} if fmt == "hdf5" else {}
        if fmt == "votable":
            table = table.copy()
            table.meta.clear()
        table.write(tmp, format=fmt, overwrite=True, **kwargs)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _table_path(value: str) -> Path:
    """A table file inside the user's home (relative paths start there)."""
    from deslab.errors import AnomalyError
    from deslab.settings import Settings

    home = Settings.from_env().home.resolve()
    path = (home / Path(value).expanduser()).resolve()
    if not path.is_relative_to(home):
        raise AnomalyError(
            f"the table {value!r} is outside your home; give a path relative to it, "
            "e.g. jobs/<job-id>/result.parquet"
        )
    return path


def run(params: dict[str, Any], output_dir: Path, progress: Callable[[float, str], None]) -> dict:
    """Score the rows and write the table, the top anomalies and the figures.

    Parameters
    ----------
    params
        ``sql`` (with ``binds``) or ``table`` (a file under the user's home), ``columns``,
        ``n_estimators``, ``max_samples``, ``extension_level``, ``max_depth``,
        ``random_state``, ``contamination``, ``top``, ``drop_invalid`` and ``output`` (file
        name of the scored table; ``.parquet`` by default, also .fits .csv .h5 .vot).
    output_dir
        The job's directory, ``~/jobs/<job-id>/``.
    progress
        ``progress(fraction, message)``; raises when the job is cancelled.

    Returns
    -------
    dict
        ``rows``, ``scored``, ``dropped``, ``columns``, ``top`` (the most anomalous rows'
        identifiers and scores) and ``files`` (names relative to ``output_dir``).
    """
    from deslab.anomaly.catalog import RANK, SCORE, read_table, score_catalog

    check_cancelled()
    output_dir.mkdir(parents=True, exist_ok=True)
    options = {k: params[k] for k in MODEL_PARAMS if params.get(k) is not None}
    options["drop_invalid"] = bool(params.get("drop_invalid", params.get("drop_nonfinite")))
    if params.get("table"):
        progress(0.05, "reading the table")
        source: Any = read_table(_table_path(params["table"]))
        backend = None
    else:
        from deslab.catalog import connect
        from deslab.catalog.api import query

        progress(0.05, "running the query")
        backend = connect(cached=False)
        try:
            with on_cancel(backend.interrupt):
                source = query(params["sql"], binds=params.get("binds") or None,
                               timeout=params.get("timeout"), catalog=backend)
        finally:
            backend.close()
    check_cancelled()
    progress(0.4, f"scoring {len(source)} rows")
    result = score_catalog(source, columns=params.get("columns"), **options)
    check_cancelled()

    progress(0.8, "writing the scored table and the figures")
    output = params.get("output") or DEFAULT_OUTPUT
    _write(result.table, output_dir / output)
    top_name = f"{Path(output).stem}_top.csv"
    _write(result.top, output_dir / top_name)
    figures = result.plots(output_dir, prefix=Path(output).stem)
    progress(1.0, "done")

    id_col = next((c for c in ("COADD_OBJECT_ID", "ID", "OBJECT_ID")
                   if c in result.table.colnames), None)
    top = []
    for row in result.top[:10]:
        entry = {"rank": int(row[RANK]), "score": round(float(row[SCORE]), 6)}
        if id_col is not None:
            entry[id_col] = int(row[id_col]) if row[id_col] is not None else None
        top.append(entry)
    return {
        "rows": len(result.table),
        "scored": len(result.table) - result.dropped,
        "dropped": result.dropped,
        "columns": list(result.columns),
        "threshold": float(result.model.threshold_),
        "top": top,
        "files": [output, top_name] + [p.name for p in figures],
    }
