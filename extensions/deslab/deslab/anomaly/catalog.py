"""``score_catalog``: score the rows of a query (or a table) and pick the top anomalies."""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import MaskedColumn, Table

from deslab.anomaly.columns import FLAG, RANK, SCORE
from deslab.anomaly.estimator import ExtendedIsolationForest
from deslab.anomaly.validation import AnomalyWarning, check_finite, nonfinite_columns
from deslab.errors import AnomalyError


@dataclass
class AnomalyResult:
    """Rows with their scores, the top anomalies and the fitted forest.

    Attributes
    ----------
    table : astropy.table.Table
        Every input row plus ``ANOMALY_SCORE`` (higher is more anomalous; masked for rows
        skipped with ``drop_invalid=True``) and ``ANOMALY_RANK`` (1 = most anomalous).
    top : astropy.table.Table
        The ``top`` highest-scoring rows, most anomalous first.
    model : ExtendedIsolationForest
        The fitted forest (score other rows with ``model.score_samples``).
    columns : list of str
        Feature columns used.
    dropped : int
        Rows skipped because a feature was NaN, infinite or missing.
    """

    table: Table
    top: Table
    model: ExtendedIsolationForest
    columns: list[str]
    dropped: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def scores(self) -> np.ndarray:
        return np.ma.filled(np.ma.asarray(self.table[SCORE]), np.nan)

    def plots(self, out_dir: str | Path, prefix: str = "anomaly") -> list[Path]:
        """Write the score histogram, the top anomalies on a diagram and, for two features,
        the score map, as PNG files in ``out_dir``; return their paths."""
        from deslab.anomaly.plots import save_plots

        return save_plots(self, Path(out_dir), prefix=prefix)

    def __repr__(self) -> str:
        return (
            f"<AnomalyResult: {len(self.table)} rows scored on {', '.join(self.columns)}"
            f"{f' ({self.dropped} skipped)' if self.dropped else ''}; top score "
            f"{float(self.top[SCORE][0]) if len(self.top) else float('nan'):.3f}>"
        )

    def _repr_html_(self) -> str:
        head = html.escape(repr(self))
        return f"<p>{head}</p>{self.top._repr_html_()}"


def _resolve_columns(table: Table, columns: list[str] | None) -> list[str]:
    names = list(table.colnames)
    if columns is None:
        skip = {"COADD_OBJECT_ID", "RA", "DEC", "TILENAME", "HPIX_32", "HPIX_4096", "HPIX_1024"}
        chosen = [
            c for c in names
            if c.upper() not in skip and table[c].dtype.kind == "f" and table[c].ndim == 1
        ]
        if not chosen:
            raise AnomalyError(
                f"no floating-point feature columns found; pass columns=[...] from: "
                f"{', '.join(names)}"
            )
        return chosen
    if isinstance(columns, str):
        columns = [columns]
    by_upper = {c.upper(): c for c in names}
    resolved, unknown = [], []
    for c in columns:
        if c in names:
            resolved.append(c)
        elif str(c).upper() in by_upper:
            resolved.append(by_upper[str(c).upper()])
        else:
            unknown.append(str(c))
    if unknown:
        raise AnomalyError(
            f"unknown feature columns: {', '.join(unknown)}; the table has: {', '.join(names)}"
        )
    if not resolved:
        raise AnomalyError("columns=[] selects nothing: name at least one feature column")
    return resolved


def _load(sql_or_table: Any, binds: dict | None, timeout: float | None,
          catalog: Any) -> Table:
    if isinstance(sql_or_table, Table):
        return sql_or_table
    if hasattr(sql_or_table, "to_numpy") and hasattr(sql_or_table, "columns"):
        return Table.from_pandas(sql_or_table)
    if isinstance(sql_or_table, Path) or (
        isinstance(sql_or_table, str) and Path(sql_or_table).suffix.lower()
        in {".fits", ".fit", ".parquet", ".csv", ".ecsv", ".h5", ".hdf5", ".vot", ".xml", ".gz"}
        and Path(sql_or_table).exists()
    ):
        return read_table(Path(sql_or_table))
    if isinstance(sql_or_table, str):
        from deslab.catalog.api import query

        return query(sql_or_table, binds=binds, timeout=timeout, catalog=catalog)
    raise AnomalyError(
        "score_catalog takes SQL, a table file path, an astropy Table or a pandas DataFrame; "
        f"got {type(sql_or_table).__name__}"
    )


def read_table(path: Path) -> Table:
    """Read a table file written by ``query_to_file`` (or any astropy-readable table)."""
    if not path.exists():
        raise AnomalyError(f"no such table file: {path}")
    name = path.name.lower()
    if name.endswith(".parquet"):
        return Table.read(path, format="parquet")
    if name.endswith((".h5", ".hdf5")):
        return Table.read(path, path="data") if _has_h5_path(path, "data") else Table.read(path)
    if name.endswith((".csv", ".csv.gz")):
        return Table.read(path, format="ascii.csv")
    return Table.read(path)


def _has_h5_path(path: Path, key: str) -> bool:
    import h5py

    with h5py.File(path, "r") as f:
        return key in f


def score_catalog(
    sql_or_table: Any,
    columns: list[str] | None = None,
    *,
    binds: dict | None = None,
    top: int = 20,
    n_estimators: int = 100,
    max_samples: int = 256,
    extension_level: int | None = None,
    max_depth: int | None = None,
    random_state: int | None = 0,
    contamination: str | float = "auto",
    drop_invalid: bool = False,
    timeout: float | None = None,
    catalog: Any = None,
) -> AnomalyResult:
    """Score every row of a query result (or a table) with an Extended Isolation Forest.

    Parameters
    ----------
    sql_or_table : str, path, astropy Table or pandas DataFrame
        Oracle SQL run on the catalog (``deslab.query``), a table file (.fits, .parquet,
        .csv, .h5, .vot), or rows already in memory.
    columns : list of str, optional
        Feature columns (case-insensitive), e.g. colours computed in the SQL. Default: every
        floating-point column except positions.
    binds : dict, optional
        Values of ``:name`` bind variables in the SQL.
    top : int
        How many of the most anomalous rows to return in ``result.top``.
    n_estimators, max_samples, extension_level, max_depth, random_state
        Passed to :class:`ExtendedIsolationForest` (``random_state=0``: reproducible).
    contamination : "auto" or float
        Expected share of anomalies; rows above the resulting threshold get
        ``ANOMALY_FLAG = True`` (``"auto"``: score above 0.5).
    drop_invalid : bool
        Skip rows with a NaN, infinite or masked feature (their score is masked) instead of
        raising :class:`AnomalyError` naming the columns.
    timeout : float, optional
        Query timeout in seconds (``None``: no limit).

    Returns
    -------
    AnomalyResult
        ``.table`` (all rows with ``ANOMALY_SCORE`` and ``ANOMALY_RANK``), ``.top``,
        ``.model``; ``.plots(dir)`` writes the figures.
    """
    if not isinstance(top, int) or top < 0:
        raise AnomalyError(f"top must be a non-negative integer, got {top!r}")
    table = _load(sql_or_table, binds, timeout, catalog)
    if len(table) == 0:
        raise AnomalyError(
            "the table is empty (0 rows): check the query's WHERE clause before scoring"
        )
    cols = _resolve_columns(table, columns)
    features = np.column_stack(
        [np.ma.filled(np.ma.asarray(table[c], dtype=np.float64), np.nan) for c in cols]
    )
    keep = np.ones(len(table), dtype=bool)
    dropped = 0
    if drop_invalid:
        keep = np.isfinite(features).all(axis=1)
        dropped = int((~keep).sum())
        if dropped:
            bad = nonfinite_columns(features, cols)
            warnings.warn(
                f"skipped {dropped} of {len(table)} rows with NaN, infinite or missing values "
                f"in: {', '.join(bad)}; their ANOMALY_SCORE is masked",
                AnomalyWarning,
                stacklevel=2,
            )
        if not keep.any():
            raise AnomalyError(
                f"every row has a NaN, infinite or missing value in {', '.join(cols)}: "
                "nothing is left to score"
            )
    else:
        check_finite(features, cols)
    model = ExtendedIsolationForest(
        n_estimators=n_estimators,
        max_samples=max_samples,
        extension_level=extension_level,
        max_depth=max_depth,
        random_state=random_state,
        contamination=contamination,
    )
    x = features[keep]
    model.fit(x)
    scores = np.full(len(table), np.nan)
    scores[keep] = model.score_samples(x)

    out = table.copy(copy_data=False)
    order = np.argsort(-np.where(keep, scores, -np.inf), kind="stable")
    rank = np.empty(len(table), dtype=np.int64)
    rank[order] = np.arange(1, len(table) + 1)
    out[SCORE] = MaskedColumn(scores, mask=~keep, description=(
        "Extended Isolation Forest score, 2**(-E[h]/c(psi)); higher is more anomalous"))
    out[RANK] = MaskedColumn(rank, mask=~keep, description="1 = most anomalous")
    out[FLAG] = MaskedColumn(
        np.where(keep, scores > model.threshold_, False), mask=~keep,
        description=f"score above the threshold {model.threshold_:.4f} (contamination)",
    )
    # provenance in short scalar keys (valid FITS header keywords)
    out.meta.update({
        "EIF_COLS": ",".join(cols),
        "EIF_NTRE": int(model.n_estimators),
        "EIF_PSI": int(model.max_samples_),
        "EIF_EXT": int(model.extension_level_),
        "EIF_DPTH": int(model.max_depth_),
        "EIF_SEED": int(model.seed_),
    })
    top_rows = out[order[: min(top, int(keep.sum()))]]
    return AnomalyResult(table=out, top=top_rows, model=model, columns=cols, dropped=dropped)
