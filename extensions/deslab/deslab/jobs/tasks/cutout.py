"""The ``cutout`` job: :func:`deslab.cutouts` over uploaded positions, in ``~/jobs/<id>/``.

The job directory receives the FITS stamps, the PNGs and ``summary.json`` (one entry per
input row: status, tile, files, message), as the DESaccess cutout service did.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deslab.jobs.tasks import check_cancelled

OPTIONS = ("xsize", "ysize", "bands", "rgb", "rgb_bands", "rgb_minimum", "rgb_stretch",
           "rgb_q", "edge")


def positions_of(value: Any) -> Any:
    """The positions as ``deslab.cutouts`` takes them: CSV text, a CSV path (relative to the
    user's home), or a list of [ra, dec] pairs."""
    from deslab.cutouts.positions import home_file, names_a_file

    if isinstance(value, list):
        return [tuple(v) for v in value]
    text = str(value)
    if names_a_file(text):
        return home_file(text, Path(os.environ.get("DESLAB_HOME") or Path.home()))
    return text


def run(params: dict[str, Any], output_dir: Path, progress: Callable[[float, str], None]) -> dict:
    """Cut the stamps; write them and ``summary.json`` into ``output_dir``.

    Parameters
    ----------
    params
        ``positions`` (CSV text with RA,DEC or COADD_OBJECT_ID columns and optional XSIZE,
        YSIZE, BANDS; a CSV path; or [[ra, dec], ...]) and the options of
        :func:`deslab.cutouts` (``xsize``, ``ysize``, ``bands``, ``rgb``, ``rgb_bands``,
        ``rgb_minimum``, ``rgb_stretch``, ``rgb_q``, ``edge``).
    output_dir
        The job's directory.
    progress
        ``progress(fraction, message)``; raises when the job is cancelled.

    Returns
    -------
    dict
        Counts per status, the number of files, and ``summary`` (the JSON file's name).
    """
    from deslab.cutouts.api import cutouts

    check_cancelled()
    progress(0.0, "finding the tiles")
    options = {k: params[k] for k in OPTIONS if k in params}
    summary = cutouts(positions_of(params["positions"]), output_dir=output_dir,
                      progress=progress, **options)
    rows = [
        {
            "row": int(r["ROW"]),
            "ra": None if r["RA"] != r["RA"] else float(r["RA"]),
            "dec": None if r["DEC"] != r["DEC"] else float(r["DEC"]),
            "coadd_object_id": int(r["COADD_OBJECT_ID"]) if r["COADD_OBJECT_ID"] >= 0 else None,
            "xsize": float(r["XSIZE"]),
            "ysize": float(r["YSIZE"]),
            "bands": str(r["BANDS"]),
            "status": str(r["STATUS"]),
            "tilename": str(r["TILENAME"]),
            "files": str(r["FILES"]).split(),
            "png": str(r["PNG"]),
            "message": str(r["MESSAGE"]),
        }
        for r in summary
    ]
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("ok", "partial", "error")}
    doc = {"positions": len(rows), "counts": counts, "options": summary.meta, "rows": rows}
    tmp = output_dir / "summary.json.part"
    tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    tmp.replace(output_dir / "summary.json")
    progress(1.0, f"{counts['ok'] + counts['partial']} of {len(rows)} positions cut")
    n_files = sum(len(r["files"]) for r in rows)
    return {"positions": len(rows), **counts, "files": n_files, "summary": "summary.json"}
