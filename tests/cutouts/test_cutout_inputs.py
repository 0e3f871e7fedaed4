"""Every input form, per-row overrides, edge modes, tile choice, and bad input per row/file."""

from __future__ import annotations

import deslab
import pandas as pd
import pytest
from astropy.io import fits
from astropy.table import Table
from deslab.errors import CutoutError
from PIL import Image

GOOD = [(0.01, -0.02), (359.98, 0.03)]
PIX = 0.263


def shape(path):
    with fits.open(path) as hdul:
        return hdul[0].data.shape


def test_every_input_form_gives_the_same_stamps(survey, catalog, tmp_path):
    ids = [r[0] for r in catalog.execute(
        "SELECT COADD_OBJECT_ID FROM DR2_MAIN WHERE TILENAME = 'DES0000+0000' "
        "ORDER BY COADD_OBJECT_ID LIMIT 2").fetchall()]
    where = {i: (ra, dec) for i, ra, dec in catalog.execute(
        "SELECT COADD_OBJECT_ID, RA, DEC FROM DR2_MAIN WHERE COADD_OBJECT_ID IN (?, ?)",
        ids).fetchall()}
    csv_path = tmp_path / "pos.csv"
    csv_path.write_text("ra,dec\n" + "".join(f"{r},{d}\n" for r, d in GOOD), encoding="utf-8")
    forms = {
        "list": GOOD,
        "table": Table(rows=GOOD, names=["RA", "DEC"]),
        "pandas": pd.DataFrame(GOOD, columns=["Ra", "Dec"]),
        "csv path": csv_path,
        "csv str path": str(csv_path),
        "csv text": "RA,DEC\n" + "\n".join(f"{r},{d}" for r, d in GOOD),
        # typed in the panel's box: no header, spaces, a comma or a semicolon, comments
        "typed text": f"# my two\n{GOOD[0][0]} {GOOD[0][1]}\n\n{GOOD[1][0]}; {GOOD[1][1]}\n",
        "one typed line": f"{GOOD[0][0]}, {GOOD[0][1]}\n{GOOD[1][0]} {GOOD[1][1]}",
    }
    for label, positions in forms.items():
        s = deslab.cutouts(positions, bands="r", rgb=False, output_dir=tmp_path / label)
        assert list(s["STATUS"]) == ["ok", "ok"], label
        assert [f.split("_")[0] for f in s["FILES"]] == ["DESJ000002.40-000112.0",
                                                        "DESJ235955.20+000148.0"], label
    by_id = deslab.cutouts(Table({"COADD_OBJECT_ID": ids}), bands="i", rgb=False,
                           output_dir=tmp_path / "ids")
    assert list(by_id["STATUS"]) == ["ok", "ok"]
    for row in by_id:
        assert (row["RA"], row["DEC"]) == pytest.approx(where[row["COADD_OBJECT_ID"]])
        assert row["TILENAME"] == "DES0000+0000"


def test_a_typed_line_without_two_numbers_is_reported_and_the_others_cut(survey, tmp_path):
    s = deslab.cutouts(f"{GOOD[0][0]} {GOOD[0][1]}\n1 2 3\n{GOOD[1][0]} {GOOD[1][1]}",
                       bands="r", rgb=False, output_dir=tmp_path / "typed")
    assert list(s["STATUS"])[0] == "ok" and list(s["STATUS"])[2] == "ok"
    assert "3 values" in s["MESSAGE"][1] and "RA,DEC" in s["MESSAGE"][1]


def test_per_row_sizes_and_bands_override_the_call(survey, tmp_path):
    t = Table(rows=[(0.01, -0.02, 2.0, 0.5, "zY"), (359.98, 0.03, None, None, None)],
              names=["RA", "DEC", "XSIZE", "YSIZE", "BANDS"], dtype=[float, float, object,
                                                                      object, object])
    s = deslab.cutouts(t, xsize=1.0, ysize=1.0, bands="g", rgb=True, output_dir=tmp_path)
    first, second = (r["FILES"].split() for r in s)
    assert [f[-7:] for f in first if f.endswith(".fits")] == ["_z.fits", "_Y.fits"]
    assert shape(tmp_path / first[0]) == (round(30 / PIX), round(120 / PIX))
    assert [f[-7:] for f in second if f.endswith(".fits")] == ["_g.fits"]
    assert shape(tmp_path / second[0]) == (round(60 / PIX), round(60 / PIX))
    png = Image.open(tmp_path / s["PNG"][0])
    assert png.size == (round(120 / PIX), round(30 / PIX)) and png.mode == "RGB"


def test_overlap_uses_the_tile_farthest_from_the_edge(survey, tmp_path):
    s = deslab.cutouts([(0.047, 0.0), (0.053, 0.0)], bands="g", rgb=False, output_dir=tmp_path)
    assert list(s["TILENAME"]) == ["DES0000+0000", "DES0001+0000"]


def test_edge_modes_trim_and_pad(survey, tmp_path):
    # the west edge of DES3599+0000 (RA 359.845) has no imaged neighbour
    pos = [(359.85, 0.0)]
    trim = deslab.cutouts(pos, xsize=1.0, ysize=1.0, bands="r", rgb=False,
                          output_dir=tmp_path / "t", edge="trim")
    pad = deslab.cutouts(pos, xsize=1.0, ysize=1.0, bands="r", rgb=True,
                         output_dir=tmp_path / "p", edge="pad")
    assert trim["TILENAME"][0] == pad["TILENAME"][0] == "DES3599+0000"
    assert "trimmed" in trim["MESSAGE"][0] and "padded with NaN" in pad["MESSAGE"][0]
    ny, nx = shape(tmp_path / "t" / trim["FILES"][0])
    with fits.open(tmp_path / "p" / pad["FILES"][0].split()[0]) as hdul:
        data = hdul[0].data
    assert data.shape == (228, 228) and nx < 228 and ny == 228
    import numpy as np

    nan_cols = np.isnan(data).all(axis=0)
    assert nan_cols.sum() == 228 - nx and nan_cols[-1] and not nan_cols[0]
    with pytest.raises(CutoutError, match="edge must be one of trim, pad"):
        deslab.cutouts(pos, edge="wrap", output_dir=tmp_path)


def test_bad_rows_are_reported_and_good_rows_still_produced(survey, tmp_path):
    csv = tmp_path / "mixed.csv"
    csv.write_text(
        "RA,DEC,XSIZE\n"
        "0.01,-0.02,\n"          # good
        "360,0,\n"               # RA out of range
        "abc,0,\n"               # RA not a number
        "0.01,-91,\n"            # Dec out of range
        "0.01,-0.02,0\n"         # size zero
        "0.01,-0.02,-1\n"        # negative size
        "0.01,-0.02,13\n"        # over the cap
        "120,30,\n"              # off the footprint
        "0.5,0.5,\n"             # good: a tile whose images are drawn on first use
        "359.98,0.03,0.5\n",     # good
        encoding="utf-8")
    s = deslab.cutouts(csv, bands="g", output_dir=tmp_path / "out")
    assert list(s["STATUS"]) == ["ok"] + ["error"] * 7 + ["ok", "ok"]
    msgs = list(s["MESSAGE"])
    assert "outside [0, 360)" in msgs[1] and "must be a number" in msgs[2]
    assert "outside [-90, 90]" in msgs[3] and "positive" in msgs[4] and "positive" in msgs[5]
    assert "0.1 to 12" in msgs[6] and "off the survey footprint" in msgs[7]
    assert all(s["FILES"][k] == "" for k in range(1, 8))
    assert len(list((tmp_path / "out").glob("*.fits"))) == 3
    assert len(list((tmp_path / "out").glob("*.png"))) == 3


def test_bad_files_get_one_clear_message(survey, tmp_path, monkeypatch):
    cases = {
        "empty.csv": (b"", "is empty"),
        "header-only.csv": (b"RA,DEC\n", "no positions"),
        "nocols.csv": (b"X,Y\n1,2\n", "no RA and DEC columns"),
        "latin1.csv": ("RA,DEC,NAME\n0.01,-0.02,Mézière\n".encode("latin-1"), "not UTF-8"),
    }
    for name, (content, expected) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(CutoutError, match=expected):
            deslab.cutouts(tmp_path / name, output_dir=tmp_path / "out")
    with pytest.raises(CutoutError, match="does not exist"):
        deslab.cutouts(tmp_path / "missing.csv", output_dir=tmp_path / "out")
    monkeypatch.setenv("DESLAB_CUTOUT_MAX_ROWS", "3")
    (tmp_path / "many.csv").write_text("RA,DEC\n" + "0.01,-0.02\n" * 4, encoding="utf-8")
    with pytest.raises(CutoutError, match="more than the maximum of 3"):
        deslab.cutouts(tmp_path / "many.csv", output_dir=tmp_path / "out")
    with pytest.raises(CutoutError, match="more than the maximum of 3"):
        deslab.cutouts(GOOD * 2, output_dir=tmp_path / "out")
    with pytest.raises(CutoutError, match="unknown band 'q'"):
        deslab.cutouts(GOOD, bands="gq", output_dir=tmp_path / "out")
    assert not list((tmp_path / "out").glob("*"))


def test_parallel_run_equals_serial_run(survey, tmp_path):
    import numpy as np

    rng = np.random.default_rng(3)
    pos = list(zip(rng.uniform(-0.14, 0.14, 40) % 360, rng.uniform(-0.14, 0.04, 40),
                   strict=True))
    one = deslab.cutouts(pos, xsize=0.3, bands="gr", output_dir=tmp_path / "1", workers=1)
    two = deslab.cutouts(pos, xsize=0.3, bands="gr", output_dir=tmp_path / "2", workers=2)
    assert list(one["STATUS"]) == list(two["STATUS"]) and list(one["FILES"]) == list(two["FILES"])
    for name in " ".join(one["FILES"]).split():
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()
