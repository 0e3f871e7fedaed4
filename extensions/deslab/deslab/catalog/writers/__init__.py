"""Streaming file writers, one per format, chosen by file extension."""

from __future__ import annotations

import importlib
from pathlib import Path

from deslab.catalog.writers.base import Provenance, Writer
from deslab.errors import ExportError

# format -> "module:class" (imported on first use, so `import deslab` stays light)
WRITERS: dict[str, str] = {
    "fits": "deslab.catalog.writers.fits:FitsWriter",
    "hdf5": "deslab.catalog.writers.hdf5:Hdf5Writer",
    "csv": "deslab.catalog.writers.csv:CsvWriter",
    "parquet": "deslab.catalog.writers.parquet:ParquetWriter",
    "votable": "deslab.catalog.writers.votable:VOTableWriter",
}


def writer_class(fmt: str) -> type[Writer]:
    """The writer class of a format name (a key of :data:`WRITERS`)."""
    module, name = WRITERS[fmt].split(":")
    return getattr(importlib.import_module(module), name)

# extension (lower case, longest first) -> (format, compression implied)
EXTENSIONS: list[tuple[str, str, str | None]] = [
    (".csv.gz", "csv", "gzip"),
    (".vot.xml", "votable", None),
    (".fits", "fits", None),
    (".fit", "fits", None),
    (".fts", "fits", None),
    (".h5", "hdf5", None),
    (".hdf5", "hdf5", None),
    (".hdf", "hdf5", None),
    (".csv", "csv", None),
    (".parquet", "parquet", None),
    (".pq", "parquet", None),
    (".vot", "votable", None),
    (".votable", "votable", None),
    (".xml", "votable", None),
]

COMPRESSIONS = {
    "csv": (None, "gzip"),
    "hdf5": (None, "gzip", "lzf"),
    "parquet": (None, "snappy", "zstd", "gzip", "brotli", "lz4", "none"),
    "fits": (None,),
    "votable": (None,),
}

_ALIASES = {"fit": "fits", "h5": "hdf5", "hdf": "hdf5", "vot": "votable", "pq": "parquet",
            "csv.gz": "csv"}

VALID_EXTENSIONS = ", ".join(e for e, _f, _c in EXTENSIONS)


def split_extension(path: Path) -> tuple[str, str]:
    """``(stem, extension)`` with the recognised (possibly double) extension."""
    name = path.name
    low = name.lower()
    for ext, _fmt, _comp in EXTENSIONS:
        if low.endswith(ext) and len(name) > len(ext):
            return name[: -len(ext)], name[-len(ext):]
    return path.stem, path.suffix


def resolve_format(path: Path, format: str | None, compression: str | None
                   ) -> tuple[str, str | None]:
    """The format and compression for ``path``, from the arguments or its extension.

    Raises
    ------
    ExportError
        The extension or format is unknown, or the compression does not fit the format; the
        message lists the valid choices.
    """
    implied = None
    if format is None:
        low = path.name.lower()
        for ext, fmt, comp in EXTENSIONS:
            if low.endswith(ext):
                format, implied = fmt, comp
                break
        else:
            raise ExportError(
                f"cannot tell the format of {path.name!r} from its extension: use one of "
                f"{VALID_EXTENSIONS} (or pass format=...: {', '.join(WRITERS)})"
            )
    fmt = _ALIASES.get(format.lower(), format.lower())
    if fmt not in WRITERS:
        raise ExportError(f"unknown format {format!r}: valid formats are {', '.join(WRITERS)}")
    if path.name.lower().endswith(".gz") and fmt == "csv":
        implied = "gzip"
    comp = compression if compression is not None else implied
    if isinstance(comp, str):
        comp = comp.lower()
    if comp not in COMPRESSIONS[fmt]:
        valid = ", ".join(str(c) for c in COMPRESSIONS[fmt] if c) or "none"
        raise ExportError(f"compression {compression!r} does not apply to {fmt}: valid "
                          f"choices are {valid}")
    return fmt, (None if comp == "none" else comp)


__all__ = ["WRITERS", "Provenance", "Writer", "resolve_format", "split_extension",
           "writer_class"]
