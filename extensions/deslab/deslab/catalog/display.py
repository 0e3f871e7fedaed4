"""How query results look: escaped HTML for notebooks, text for terminals."""

from __future__ import annotations

import html

from astropy.table import Table

DISPLAY_ROWS = 20


def summary(table: Table) -> str:
    """``"1234 rows in 0.12 s"`` (and a note when the row cap cut the result)."""
    n = len(table)
    secs = table.meta.get("seconds")
    text = f"{n} row{'s' if n != 1 else ''}"
    if secs is not None:
        text += f" in {secs:.2f} s"
    if table.meta.get("truncated"):
        text += f" (stopped at the row cap of {table.meta.get('limit')}; use --limit or export "
        text += "to a file for more)"
    return text


def _cell(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return html.escape(str(value))


def to_html(table: Table, max_rows: int = DISPLAY_ROWS, show_summary: bool = True) -> str:
    """The first ``max_rows`` rows as an HTML table; every name and value is escaped."""
    head = "".join(
        f"<th>{_cell(c)}" + (f"<br><small>{_cell(table[c].unit)}</small>"
                             if table[c].unit is not None else "") + "</th>"
        for c in table.colnames
    )
    rows = []
    for row in table[:max_rows]:
        rows.append("<tr>" + "".join(f"<td>{_cell(row[c])}</td>" for c in table.colnames)
                    + "</tr>")
    more = ""
    if len(table) > max_rows:
        more = f"<p><small>showing the first {max_rows} of {len(table)} rows</small></p>"
    head_line = f"<p><b>{_cell(summary(table))}</b></p>" if show_summary else ""
    return (f'<div class="deslab-result">{head_line}'
            f'<table class="dataframe"><thead><tr>{head}</tr></thead><tbody>'
            + "".join(rows) + f"</tbody></table>{more}</div>")


class ResultTable(Table):
    """An astropy Table that shows itself in a notebook as an escaped HTML table with its
    row count and query time (what ``%%desql`` returns)."""

    display_rows = DISPLAY_ROWS
    show_summary = True

    def _repr_html_(self) -> str:
        return to_html(self, self.display_rows, self.show_summary)


def to_text(table: Table, max_rows: int = 50, width: int = 200) -> str:
    """Rows as a text table for the terminal, followed by the summary line."""
    lines = table.pformat(max_lines=max_rows + 4, max_width=width) if len(table) else []
    return "\n".join([*lines, summary(table)])
