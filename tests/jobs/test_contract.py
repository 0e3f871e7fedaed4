"""The job contract is declared once: every copy and every reader agrees with it.

``hub/deslab_hub/jobs/contract.json`` declares the facts the job service, the worker, the
client and the panel share. The service reads it; ``deslab`` reads its byte-identical copy;
the OpenAPI description, the catalog writers (which declare their own formats) and the
cutout code are checked here, the panel's constants by tests/frontend/contract.test.ts.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import deslab
import deslab.cutouts.api as cutouts_api
import deslab.errors
import yaml
from deslab.catalog import writers
from deslab.cutouts import positions, rgb
from deslab_hub.jobs import contract as hub_contract
from deslab_hub.jobs import types

CONTRACT = hub_contract.CONTRACT
QUERY, CUTOUT = CONTRACT["query"], CONTRACT["cutout"]
ROOT = Path(__file__).resolve().parents[2]


def test_the_user_side_copy_is_identical() -> None:
    copy = ROOT / "extensions" / "deslab" / "deslab" / "data" / "job-contract.json"
    assert copy.read_bytes() == hub_contract.PATH.read_bytes(), (
        "deslab's copy of the job contract differs: cp hub/deslab_hub/jobs/contract.json "
        "extensions/deslab/deslab/data/job-contract.json")
    from deslab.contract import CONTRACT as user_side

    assert user_side == CONTRACT


def test_every_job_type_has_a_worker_task() -> None:
    assert list(types.JOB_TYPES) == list(CONTRACT["job_types"])
    tasks = ROOT / "extensions" / "deslab" / "deslab" / "jobs" / "tasks"
    assert {p.stem for p in tasks.glob("*.py")} - {"__init__"} == set(CONTRACT["job_types"])


def test_the_writers_declare_the_contract_formats() -> None:
    assert set(writers.WRITERS) == set(QUERY["formats"])
    for fmt, spec in QUERY["formats"].items():
        cls = writers.writer_class(fmt)
        assert cls.format_name == fmt
        assert list(cls.aliases) == spec["aliases"]
        assert cls.extensions == spec["extensions"]
        assert cls.compressions == (None, *spec["compressions"])


def test_service_and_writers_read_every_extension_alike() -> None:
    for fmt, spec in QUERY["formats"].items():
        for ext, implied in spec["extensions"].items():
            name = f"result{ext}"
            assert writers.resolve_format(Path(name), None, None) == (fmt, implied)
            params = types.validate_query({"sql": "SELECT 1", "output": name})
            assert params["format"] == fmt, name
        for alias in [fmt, *spec["aliases"]]:
            assert writers.resolve_format(Path("x"), alias, None)[0] == fmt
            assert types.validate_query({"sql": "SELECT 1", "format": alias})["format"] == fmt


def test_cutouts_use_the_contract_bands_and_sizes() -> None:
    assert positions.VALID_BANDS == rgb.BANDS_ORDER == types.CUTOUT_BANDS == CUTOUT["bands"]
    assert cutouts_api.MIN_SIZE == types.CUTOUT_MIN_SIZE == CUTOUT["min_size_arcmin"]
    assert cutouts_api.max_size_default() == types.cutout_max_size() == (
        CUTOUT["max_size_arcmin"])
    assert list(cutouts_api.EDGE_MODES) == CUTOUT["edges"]
    defaults = inspect.signature(deslab.cutouts.api.cutouts).parameters
    assert defaults["xsize"].default == defaults["ysize"].default == (
        CUTOUT["default_size_arcmin"])
    assert defaults["bands"].default == CUTOUT["default_bands"] == types.CUTOUT_DEFAULT_BANDS
    request = positions.Request(row=0)
    assert (request.xsize, request.bands) == (CUTOUT["default_size_arcmin"],
                                              CUTOUT["default_bands"])


def test_the_openapi_description_states_the_contract() -> None:
    spec = yaml.safe_load((hub_contract.PATH.parent / "openapi.yaml").read_text())
    schemas = spec["components"]["schemas"]
    assert schemas["Job"]["properties"]["type"]["enum"] == list(CONTRACT["job_types"])
    common = schemas["CommonJobFields"]["properties"]
    assert common["name"]["maxLength"] == CONTRACT["common"]["name_max_chars"]
    assert common["execution_duration"]["minimum"] == (
        CONTRACT["common"]["execution_duration_min_seconds"])
    query = schemas["QueryJobRequest"]["allOf"][1]["properties"]
    assert query["format"]["enum"] == list(QUERY["formats"])
    assert query["sql"]["maxLength"] == QUERY["max_sql_chars"]
    cutout = schemas["CutoutJobRequest"]["allOf"][1]["properties"]
    assert cutout["edge"]["enum"] == CUTOUT["edges"]
    assert cutout["bands"]["pattern"] == f"^[{CUTOUT['bands']}]+$"
    for axis in ("xsize", "ysize"):
        assert cutout[axis]["minimum"] == CUTOUT["min_size_arcmin"]


def test_service_and_parser_follow_one_positions_file_rule(tmp_path: Path) -> None:
    samples = ["lists/targets.csv", "t.csv", "RA,DEC\n1,2", "1.0,2.0", "/etc/passwd",
               "../x.csv", "a/../../x.csv", "~/x.csv", "notes.txt", " spaced.csv \n",
               "10 20", "1e-3 -4.5", "359.95;-0.1", "10 20\n11 21", "10x 20"]
    for text in samples:
        assert positions.names_a_file(text) == types.names_a_file(text), text
        if not positions.names_a_file(text):
            continue
        service_ok = bool(types.HOME_CSV.fullmatch(text.strip()))
        try:
            path = positions.home_file(text, tmp_path)
        except deslab.errors.CutoutError:
            assert not service_ok, text
        else:
            assert service_ok and path == tmp_path / text.strip(), text
