"""Figures of an anomaly run: score histogram, top anomalies on a diagram, 2-D score map.

Each function draws on a matplotlib ``Axes`` (a new ``Figure`` when none is given, without
touching pyplot's state, so jobs can call them headless).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
from matplotlib.figure import Figure

from deslab.anomaly.columns import RANK, SCORE


class ScoredRun(Protocol):
    """What the figures read of an anomaly run (:class:`deslab.anomaly.catalog.AnomalyResult`)."""

    table: Any
    scores: np.ndarray
    top: Any
    model: Any
    columns: list[str]


def _axes(ax: Any, size: tuple[float, float] = (6.0, 4.5)) -> Any:
    if ax is not None:
        return ax
    return Figure(figsize=size, layout="constrained").add_subplot()


def score_histogram(scores: np.ndarray, *, threshold: float | None = None,
                    top_scores: np.ndarray | None = None, ax: Any = None) -> Any:
    """Histogram of anomaly scores (log counts), with the top anomalies marked."""
    ax = _axes(ax)
    s = np.asarray(scores, dtype=float)
    s = s[np.isfinite(s)]
    ax.hist(s, bins=80, color="#4c72b0", log=True)
    if top_scores is not None and len(top_scores):
        ax.axvline(np.min(top_scores), color="#c44e52", ls="--",
                   label=f"top {len(top_scores)} above {np.min(top_scores):.3f}")
    if threshold is not None:
        ax.axvline(threshold, color="k", ls=":", label=f"threshold {threshold:.2f}")
    ax.set_xlabel("anomaly score (higher is more anomalous)")
    ax.set_ylabel("rows")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right")
    return ax


def top_on_diagram(x: np.ndarray, y: np.ndarray, scores: np.ndarray, top_idx: np.ndarray, *,
                   xlabel: str = "", ylabel: str = "", ax: Any = None,
                   labels: list[str] | None = None) -> Any:
    """All rows as a density (colour-colour or colour-magnitude diagram), the top anomalies
    circled and numbered by rank."""
    ax = _axes(ax, (6.0, 5.0))
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() > 5000:
        hb = ax.hexbin(x[ok], y[ok], gridsize=80, bins="log", cmap="Greys", mincnt=1)
    else:
        hb = ax.scatter(x[ok], y[ok], c=scores[ok], s=6, cmap="viridis")
    ax.figure.colorbar(hb, ax=ax, label="rows (log)" if ok.sum() > 5000 else "anomaly score")
    ax.scatter(x[top_idx], y[top_idx], s=60, facecolors="none", edgecolors="#c44e52", lw=1.5,
               label=f"top {len(top_idx)} anomalies")
    for rank, i in enumerate(top_idx[:10], start=1):
        ax.annotate(labels[rank - 1] if labels else str(rank), (x[i], y[i]),
                    textcoords="offset points", xytext=(4, 4), fontsize=8, color="#c44e52")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="best")
    return ax


def score_map(model: Any, x: np.ndarray, *, names: tuple[str, str] = ("x0", "x1"),
              resolution: int = 120, ax: Any = None) -> Any:
    """Scores of a forest fitted on two features over the plane, with the rows on top."""
    ax = _axes(ax, (6.0, 5.0))
    lo, hi = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
    pad = 0.1 * (hi - lo + 1e-12)
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    xx, yy = np.meshgrid(gx, gy)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    zz = model.forest_.scores(grid).reshape(xx.shape)
    mesh = ax.contourf(xx, yy, zz, levels=20, cmap="magma")
    ax.figure.colorbar(mesh, ax=ax, label="anomaly score")
    sub = x[:: max(1, len(x) // 5000)]
    ax.scatter(sub[:, 0], sub[:, 1], s=2, c="white", alpha=0.5)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    return ax


def _diagram_axes(result: ScoredRun) -> tuple[str, str]:
    cols = result.columns
    if len(cols) >= 2:
        return cols[0], cols[1]
    return cols[0], SCORE


def save_plots(result: ScoredRun, out_dir: Path, prefix: str = "anomaly") -> list[Path]:
    """Write the figures of ``result`` as PNG files; return the paths."""

    out_dir.mkdir(parents=True, exist_ok=True)
    table = result.table
    scores = result.scores
    top_idx = np.flatnonzero(np.ma.filled(table[RANK], 0) > 0)
    ranks = np.ma.filled(table[RANK], 0)[top_idx]
    top_idx = top_idx[np.argsort(ranks)][: len(result.top)]
    paths = []

    ax = score_histogram(scores, top_scores=np.asarray(result.top[SCORE]))
    ax.set_title(f"{len(table)} rows, {result.model.n_estimators} trees")
    paths.append(out_dir / f"{prefix}_score_histogram.png")
    ax.figure.savefig(paths[-1], dpi=110)

    xname, yname = _diagram_axes(result)
    xv = np.ma.filled(np.ma.asarray(table[xname], dtype=float), np.nan)
    yv = np.ma.filled(np.ma.asarray(table[yname], dtype=float), np.nan)
    ax = top_on_diagram(xv, yv, scores, top_idx, xlabel=xname, ylabel=yname)
    ax.set_title("top anomalies")
    paths.append(out_dir / f"{prefix}_top_anomalies.png")
    ax.figure.savefig(paths[-1], dpi=110)

    if len(result.columns) == 2:
        keep = np.isfinite(scores)
        ax = score_map(result.model, np.column_stack([xv, yv])[keep], names=(xname, yname))
        ax.set_title("score map")
        paths.append(out_dir / f"{prefix}_score_map.png")
        ax.figure.savefig(paths[-1], dpi=110)
    return paths
