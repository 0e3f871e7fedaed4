"""A gallery of cutout PNGs for a notebook: one HTML grid from a cutout summary table.

>>> summary = deslab.cutouts(positions, output_dir="stamps")        # doctest: +SKIP
>>> deslab.cutouts.gallery(summary)                                   # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from deslab.errors import CutoutError


class Gallery:
    """HTML of a stamp gallery; displays itself in Jupyter (``_repr_html_``)."""

    def __init__(self, html_text: str, count: int) -> None:
        self.html = html_text
        self.count = count

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<Gallery of {self.count} stamps>"

    def save(self, path: str | Path) -> Path:
        """Write the gallery as a standalone HTML page."""
        p = Path(path)
        p.write_text(f"<!doctype html><meta charset='utf-8'><title>Cutouts</title>{self.html}",
                     encoding="utf-8")
        return p


def gallery(summary: Any, output_dir: str | Path | None = None, *, columns: int = 4,
            size: int = 180, max_images: int = 100) -> Gallery:
    """A grid of the PNG stamps of a :func:`deslab.cutouts` summary, with captions.

    Parameters
    ----------
    summary : astropy.table.Table
        The table ``deslab.cutouts`` returned (or one read back from ``summary.json``).
    output_dir : path, optional
        Where the PNGs are (default: ``summary.meta["output_dir"]``).
    columns : int
        Images per row.
    size : int
        Displayed width of each image in pixels.
    max_images : int
        Show at most this many (the PNGs are embedded in the notebook).

    Returns
    -------
    Gallery
        Displays as HTML in Jupyter; ``.save(path)`` writes an HTML page.
    """
    names = getattr(summary, "colnames", None)
    if names is None or "PNG" not in names:
        raise CutoutError("gallery needs the summary table returned by deslab.cutouts "
                          "(with a PNG column)")
    folder = Path(output_dir or summary.meta.get("output_dir", "."))
    cells = []
    shown = 0
    for row in summary:
        if shown >= max_images:
            break
        caption = " ".join(str(v) for v in (f"#{row['ROW']}", row["TILENAME"],
                                            f"{row['RA']:.5f} {row['DEC']:+.5f}"))
        png = str(row["PNG"]).strip()
        if png and (folder / png).is_file():
            data = base64.b64encode((folder / png).read_bytes()).decode("ascii")
            body = (f"<img src='data:image/png;base64,{data}' alt='{html.escape(png)}' "
                    f"style='width:{int(size)}px;image-rendering:pixelated'>")
        else:
            body = (f"<div style='width:{int(size)}px;height:{int(size)}px;display:flex;"
                    "align-items:center;justify-content:center;background:#eee;"
                    f"font-size:11px'>{html.escape(str(row['MESSAGE']) or 'no image')}</div>")
        note = str(row["MESSAGE"]).strip()
        cells.append(
            "<figure style='margin:4px'>" + body
            + f"<figcaption style='font-size:11px;width:{int(size)}px'>"
            + html.escape(caption) + (f"<br><i>{html.escape(note)}</i>" if note else "")
            + "</figcaption></figure>"
        )
        shown += 1
    grid = (f"<div style='display:grid;grid-template-columns:repeat({int(columns)}, auto);"
            f"gap:4px'>{''.join(cells)}</div>")
    if len(summary) > shown:
        grid += f"<p>{shown} of {len(summary)} stamps shown.</p>"
    return Gallery(grid, shown)
