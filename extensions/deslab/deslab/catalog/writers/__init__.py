"""Streaming file writers, one per format, chosen by file extension.

As in astropy's I/O registry, each writer class declares its format: name, aliases,
extensions and compressions (:class:`~deslab.catalog.writers.base.Writer`); the registry here
only names the classes and imports them on first use, so ``import deslab`` stays light.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

from deslab.catalog.writers.base import Provenance, Writer
from deslab.errors import ExportError

# format -> "module:class" (imported on first use, so `import deslab` stays light)
WRITERS: dict[str, str] = {
    "fits": "deslab.catalog.writers.fits:FitsWriter",
    "hdf5": "deslab.catalog.writers.hdf5:Hdf5Writer",
    "csv": "deslab.catalog.writers.csv:CsvWriter",
    "ecsv": "deslab.catalog.writers.csv:EcsvWriter",
    "parquet": "deslab.catalog.writers.parquet:ParquetWriter",
    "votable": "deslab.catalog.writers.votable:VOTableWriter",
}


def writer_class(fmt: str) -> type[Writer]:
    """The writer class of a format name (a key of :data:`WRITERS`)."""
    module, name = WRITERS[fmt].split(":")
    return getattr(importlib.import_module(module), name)


@functools.cache
def registry() -> dict[str, type[Writer]]:
    """Every format name and alias -> its writer class (each declares its own names)."""
    names: dict[str, type[Writer]] = {}
    for fmt in WRITERS:
        cls = writer_class(fmt)
        for name in (cls.format_name, *cls.aliases):
            names[name] = cls
    return names


@functools.cache
def extensions() -> list[tuple[str, str, str | None]]:
    """``(extension, format, implied compression)`` of every writer, longest first."""
    found = [(ext, writer_class(fmt).format_name, comp)
             for fmt in WRITERS for ext, comp in writer_class(fmt).extensions.items()]
    return sorted(found, key=lambda e: -len(e[0]))


def split_extension(path: Path) -> tuple[str, str]:
    """``(stem, extension)`` with the recognised (possibly double) extension."""
    name = path.name
    low = name.lower()
    for ext, _fmt, _comp in extensions():
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
        for ext, fmt, comp in extensions():
            if low.endswith(ext):
                format, implied = fmt, comp
                break
        else:
            raise ExportError(
                f"cannot tell the format of {path.name!r} from its extension: use one of "
                f"{', '.join(e for e, _f, _c in extensions())} (or pass format=...: "
                f"{', '.join(WRITERS)})"
            )
    cls = registry().get(format.lower())
    if cls is None:
        raise ExportError(f"unknown format {format!r}: valid formats are {', '.join(WRITERS)}")
    fmt = cls.format_name
    if path.name.lower().endswith(".gz") and "gzip" in cls.compressions:
        implied = "gzip"
    comp = compression if compression is not None else implied
    if isinstance(comp, str):
        comp = comp.lower()
    if comp not in cls.compressions:
        valid = ", ".join(str(c) for c in cls.compressions if c) or "none"
        raise ExportError(f"compression {compression!r} does not apply to {fmt}: valid "
                          f"choices are {valid}")
    return fmt, (None if comp == "none" else comp)


__all__ = ["WRITERS", "Provenance", "Writer", "extensions", "registry", "resolve_format",
           "split_extension", "writer_class"]
