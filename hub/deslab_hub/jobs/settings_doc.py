"""The settings tables of the docs, generated from the traits' help (never written by hand).

``python -m deslab_hub.jobs.settings_doc`` rewrites the table in ``docs/jobs.md`` between its
``settings-table`` markers and the descriptions of the chart's ``values.schema.json`` values
that set a job service setting; ``tests/jobs/test_settings.py`` fails when either drifts.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from traitlets import Bool, Dict, List, Set, TraitType

from deslab_hub.jobs.settings import ENV_PREFIX, JobServiceSettings, env_name

START = "<!-- settings-table: generated from JobServiceSettings by deslab_hub.jobs.settings_doc -->"
END = "<!-- settings-table: end -->"
# chart values under jobs.* whose name matches a setting but that mean more than it
CHART_ONLY = {"port"}  # also the Service's port


def settings_traits() -> Iterator[tuple[str, TraitType]]:
    """Every setting of :class:`JobServiceSettings`, in the order it is declared."""
    for name, trait in vars(JobServiceSettings).items():
        if isinstance(trait, TraitType) and trait.metadata.get("config"):
            yield name, trait


def help_text(trait: TraitType) -> str:
    """The trait's help on one line."""
    return " ".join(trait.help.split())


def default_text(trait: TraitType) -> str:
    """The default as the docs show it."""
    if "default_doc" in trait.metadata:
        return trait.metadata["default_doc"]
    value = trait.default()
    if isinstance(trait, Bool):
        return "true" if value else "false"
    if isinstance(trait, Dict | List | Set):
        if not value:
            return ""
        return json.dumps(value) if isinstance(trait, Dict) else ", ".join(value)
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value in ("", None) else f"``{value}``" if isinstance(value, str) else str(value)


def markdown_table() -> str:
    """The settings table of ``docs/jobs.md``."""
    rows = ["| Environment (trait) | Default | Meaning |", "|---|---|---|"]
    for name, trait in settings_traits():
        default = default_text(trait).replace("``", "`").replace("|", "\\|")
        meaning = help_text(trait).replace("``", "`").replace("|", "\\|")
        rows.append(f"| `{env_name(name)}` (`{name}`) | {default} | {meaning} |")
    return "\n".join(rows)


def with_table(markdown: str) -> str:
    """``markdown`` with the text between the markers replaced by :func:`markdown_table`."""
    head, sep, rest = markdown.partition(START)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"the settings-table markers are missing ({START} ... {END})")
    return f"{head}{START}\n{markdown_table()}\n{END}{tail}"


def chart_key_env(key: str, prefix: str = "") -> str:
    """The environment name a chart value sets: ``maxRunningPerUser`` ->
    ``DESLAB_JOBS_MAX_RUNNING_PER_USER`` (``smtp.host`` -> ``DESLAB_JOBS_SMTP_HOST``)."""
    return ENV_PREFIX + prefix + re.sub(r"(?<!^)(?=[A-Z])", "_", key).upper()


def with_chart_descriptions(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with each ``jobs.*`` value that sets a setting described by its help."""
    by_env = {env_name(n): t for n, t in settings_traits()}
    jobs = schema["properties"]["jobs"]["properties"]
    for prefix, props in (("", jobs), ("SMTP_", jobs.get("smtp", {}).get("properties", {}))):
        for key, prop in props.items():
            trait = None if key in CHART_ONLY else by_env.get(chart_key_env(key, prefix))
            if trait is not None:
                prop["description"] = help_text(trait).replace("``", "")
    return schema


def main(root: Path | None = None) -> int:
    root = root or Path(__file__).resolve().parents[3]
    doc = root / "docs" / "jobs.md"
    doc.write_text(with_table(doc.read_text(encoding="utf-8")), encoding="utf-8")
    schema_path = root / "helm-chart" / "deslab" / "values.schema.json"
    schema = with_chart_descriptions(json.loads(schema_path.read_text(encoding="utf-8")))
    schema_path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
