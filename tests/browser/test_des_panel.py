"""The DES panel in a real JupyterLab, in Chromium, against the real local platform.

The tests run in order on one logged-in page (see conftest.py): open the panel, quick query,
query job to COMPLETED and its result, cancel, cutout gallery, footprint, %%desql cells.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.lab_helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow,
              pytest.mark.timeout(300)]

EVIL = '<img src=x onerror="window.__pwned=1">'
JOB_WAIT = 120_000


def panel(page: Page):
    """The DES panel opened from the launcher (in the main area, the widest place)."""
    return page.locator(".jp-MainAreaWidget .deslab-panel").first


def show(page: Page, view: str):
    p = panel(page)
    p.locator(f".deslab-tab[data-view={view}]").click()
    return p


def set_sql(page: Page, sql: str) -> None:
    editor = panel(page).locator(".deslab-sql-editor .cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(sql)


def job_row(page: Page, name: str):
    return panel(page).locator("tr.deslab-job").filter(
        has=page.locator(".deslab-job-name", has_text=name))


def test_panel_opens_from_the_side_bar_and_the_launcher(lab: Page):
    lab.click("li[data-id=deslab-side-panel]")
    side = lab.locator("#deslab-side-panel")
    expect(side).to_be_visible()
    expect(side.locator(".deslab-tab")).to_have_text(["Query", "Jobs", "Cutouts", "Footprint"])
    lab.click("li[data-id=deslab-side-panel]")  # collapse it again
    lab.locator(".jp-LauncherCard", has_text="DES Panel").first.click()
    expect(panel(lab)).to_be_visible()
    expect(panel(lab).locator(".deslab-sql-editor .cm-editor")).to_be_visible()
    shot(lab, "01-panel")


def test_quick_query_shows_rows_with_completion_and_escaping(lab: Page):
    p = show(lab, "query")
    editor = p.locator(".deslab-sql-editor .cm-content")
    editor.click()
    lab.keyboard.press("Control+a")
    lab.keyboard.press("Delete")
    lab.keyboard.type("SELECT RA, DEC, MAG_AUTO_G FROM DR2_MA")
    popup = lab.locator(".cm-tooltip-autocomplete")
    expect(popup).to_be_visible()
    expect(popup).to_contain_text("DR2_MAIN")
    lab.wait_for_timeout(400)  # CodeMirror ignores keys right after the list changes
    lab.keyboard.press("Enter")  # accept the completion
    lab.keyboard.type(" WHERE ROWNUM <= 120")
    lab.keyboard.press("Escape")
    assert "FROM DR2_MAIN WHERE" in editor.inner_text()
    lab.keyboard.press("Shift+Enter")
    summary = p.locator(".deslab-grid-summary")
    expect(summary).to_contain_text("120 rows in", timeout=60_000)
    expect(p.locator(".deslab-grid tbody tr")).to_have_count(50)
    expect(p.locator(".deslab-page")).to_have_text("page 1 of 3")
    p.locator(".deslab-next").click()
    expect(p.locator(".deslab-grid tbody tr").first.locator("td").first).to_have_text("51")
    expect(p.locator(".deslab-grid thead")).to_contain_text("RA [deg]")
    shot(lab, "02-quick-query")

    set_sql(lab, f"SELECT '{EVIL}' AS EVIL FROM dual")
    p.locator(".deslab-run").click()
    expect(summary).to_contain_text("1 row in")
    expect(p.locator(".deslab-grid tbody td").nth(1)).to_have_text(EVIL)
    assert p.locator(".deslab-grid img").count() == 0
    assert lab.evaluate("window.__pwned") is None

    set_sql(lab, "SELECT RA FROM DR2_MIAN")
    p.locator(".deslab-run").click()
    expect(p.locator(".deslab-status-error")).to_contain_text("DR2_MAIN")


def test_schema_browser_and_examples(lab: Page):
    p = show(lab, "query")
    p.locator(".deslab-schema-details summary").click()
    table = p.locator(".deslab-schema-table[data-table=DR2_MAIN]")
    expect(table).to_be_visible()
    table.locator(".deslab-caret").click()
    cols = p.locator(".deslab-schema-columns").first
    expect(cols).to_contain_text("MAG_AUTO_G")
    expect(cols).to_contain_text("mag")
    p.locator(".deslab-examples").select_option(label="Counts per HEALPix pixel")
    expect(p.locator(".deslab-sql-editor .cm-content")).to_contain_text("GROUP BY HPIX_32")
    p.locator(".deslab-run").click()
    expect(p.locator(".deslab-grid-summary")).to_contain_text("rows in", timeout=60_000)
    shot(lab, "03-schema-examples")
    p.locator(".deslab-schema-details summary").click()


def test_query_job_reaches_completed_and_its_result_opens(lab: Page):
    p = show(lab, "query")
    p.locator(".deslab-examples").select_option(label="Objects in one tile")
    p.locator(".deslab-format").select_option("csv")
    p.locator(".deslab-compression").select_option("gzip")
    name = f"<b>tile</b> {EVIL}"
    p.locator(".deslab-job-name").fill(name)
    p.locator(".deslab-submit").click()
    expect(p.locator(".deslab-status")).to_contain_text("Submitted job")
    show(lab, "jobs")
    row = job_row(lab, "<b>tile</b>")
    expect(row).to_have_count(1)
    expect(row.locator(".deslab-phase")).to_have_text("COMPLETED", timeout=JOB_WAIT)
    expect(row.locator(".deslab-job-name")).to_have_text(name)  # shown, not interpreted
    assert panel(lab).locator(".deslab-jobs img, .deslab-jobs b").count() == 0
    # a notification says it completed
    toast = lab.locator(".Toastify__toast", has_text="completed").first
    expect(toast).to_be_visible(timeout=60_000)
    expect(toast).to_contain_text("<b>tile</b>")  # the name as text, in the notification too
    shot(lab, "04-job-completed")
    # open its folder in the file browser: the CSV is there
    row.locator(".deslab-open").click()
    listing = lab.locator(".jp-DirListing-content")
    expect(listing).to_contain_text("result.csv.gz", timeout=30_000)
    assert re.search(r"jobs/[0-9a-f]{32}", lab.locator(".jp-BreadCrumbs").inner_text()
                     .replace(" ", "").replace("\n", "/")) or "jobs" in lab.locator(
                         ".jp-BreadCrumbs").inner_text()
    shot(lab, "05-result-in-file-browser")


def test_rename_and_renew_a_job(lab: Page):
    show(lab, "jobs")
    row = job_row(lab, "<b>tile</b>")
    row.locator(".deslab-rename").click()
    box = panel(lab).locator(".deslab-rename-input")
    box.fill("tile objects")
    box.press("Enter")
    renamed = job_row(lab, "tile objects")
    expect(renamed).to_have_count(1)
    before = renamed.locator("td").nth(5).inner_text()
    renamed.locator(".deslab-renew").click()
    expect(panel(lab).locator(".deslab-status-error")).to_have_count(0)
    assert "days" in before


def test_cancel_a_running_job(lab: Page):
    p = show(lab, "query")
    set_sql(lab, "SELECT COUNT(*) AS N FROM DR2_MAIN a, DR2_MAIN b, DR2_MAIN c "
                 "WHERE a.RA + b.RA + c.RA < -1")
    p.locator(".deslab-format").select_option("fits")
    p.locator(".deslab-job-name").fill("endless")
    p.locator(".deslab-submit").click()
    expect(p.locator(".deslab-status")).to_contain_text("Submitted job")
    show(lab, "jobs")
    row = job_row(lab, "endless")
    expect(row.locator(".deslab-phase")).to_have_text("EXECUTING", timeout=JOB_WAIT)
    row.locator(".deslab-cancel").click()
    expect(row.locator(".deslab-phase")).to_have_text("ABORTED", timeout=60_000)
    expect(row.locator(".deslab-cancel")).to_have_count(0)
    shot(lab, "06-job-cancelled")
    # delete it (confirm in the dialog)
    row.locator(".deslab-delete").click()
    lab.locator(".jp-Dialog button", has_text="Delete").click()
    expect(job_row(lab, "endless")).to_have_count(0)


def test_cutout_job_shows_its_gallery(lab: Page):
    p = show(lab, "cutouts")
    # two positions on tiles with images, one on a tile without: reported, not fatal
    csv = b"RA,DEC\n0.05,0.02\n359.95,-0.05\n0.3,0.3\n"
    p.locator(".deslab-csv-file").set_input_files(
        files=[{"name": "positions.csv", "mimeType": "text/csv", "buffer": csv}])
    expect(p.locator(".deslab-positions")).to_have_value(csv.decode())
    expect(p.locator(".deslab-status")).to_contain_text("Loaded positions.csv")
    p.locator(".deslab-xsize").fill("0.5")
    p.locator(".deslab-ysize").fill("0.5")
    p.locator(".deslab-job-name").fill("three stamps")
    p.locator(".deslab-submit-cutouts").click()
    gallery = p.locator(".deslab-gallery img")
    expect(p.locator(".deslab-status")).to_contain_text("COMPLETED", timeout=JOB_WAIT)
    expect(gallery).to_have_count(2)
    expect(p.locator(".deslab-gallery-summary")).to_contain_text("ok: 2")
    expect(p.locator(".deslab-gallery-summary")).to_contain_text("error: 1")
    # every PNG really loads from the user's server
    lab.wait_for_function(
        "() => [...document.querySelectorAll('.deslab-gallery img')]"
        ".every(i => i.complete && i.naturalWidth > 0)", timeout=30_000)
    shot(lab, "07-cutout-gallery")


def survey_tiles(platform) -> tuple[int, list[tuple[str, float, float]]]:
    """The number of tiles and the (name, ra, dec) of those not across RA = 0."""
    import deslab

    url = f"duckdb:///{platform.data_dir / 'demo' / 'catalog.duckdb'}"
    t = deslab.query("SELECT TILENAME, RA_CENT, DEC_CENT FROM DR2_TILE_INFO "
                     "WHERE CROSSRA0 = 'N' ORDER BY TILENAME", catalog=url)
    n = deslab.query("SELECT COUNT(*) AS N FROM DR2_TILE_INFO", catalog=url)["N"][0]
    return int(n), [(str(r["TILENAME"]).strip(), float(r["RA_CENT"]), float(r["DEC_CENT"]))
                    for r in t]


def test_footprint_finds_a_tile_by_name_and_position(lab: Page, platform):
    n_tiles, tiles = survey_tiles(platform)
    by_name, by_pos = tiles[0], tiles[-1]
    p = show(lab, "footprint")
    expect(p.locator("polygon.deslab-tile")).to_have_count(n_tiles, timeout=60_000)
    search = p.locator(".deslab-footprint-search")
    search.fill(by_name[0].lower())
    search.press("Enter")
    found = p.locator("polygon.deslab-tile-found")
    expect(found).to_have_count(1)
    assert found.get_attribute("data-tile") == by_name[0]
    expect(p.locator(".deslab-status")).to_contain_text(f"{by_name[0]}: centre RA")
    search.fill(f"{by_pos[1]:.4f}, {by_pos[2]:.4f}")
    p.locator(".deslab-find").click()
    expect(p.locator(".deslab-status")).to_contain_text(f"is in {by_pos[0]}")
    expect(p.locator("circle.deslab-position")).to_have_count(1)
    shot(lab, "08-footprint")
    search.fill("DES9999+9999")
    search.press("Enter")
    expect(p.locator(".deslab-status-error")).to_contain_text("no tile is named")


def test_desql_cells_are_highlighted_as_sql(lab: Page):
    lab.keyboard.press("Control+Shift+L")  # a new launcher
    lab.locator(".jp-LauncherCard", has_text="DES Python").first.click()
    nb = lab.locator(".jp-NotebookPanel").last
    cell = nb.locator(".jp-Cell .cm-content").first
    cell.click()
    lab.keyboard.insert_text("%%desql\nSELECT RA FROM DR2_MAIN WHERE ROWNUM < 3")
    keyword_color = """(word) => {
        const spans = [...document.querySelectorAll('.jp-NotebookPanel .jp-Cell .cm-line span')];
        const s = spans.find(x => x.textContent === word);
        return s ? getComputedStyle(s).color : null;
    }"""
    lab.wait_for_function(f"() => ({keyword_color})('SELECT') !== null", timeout=30_000)
    sql_color = lab.evaluate(keyword_color, "SELECT")
    # the same word in a Python cell is a plain name, not a keyword
    lab.keyboard.press("Escape")
    lab.keyboard.press("b")
    lab.keyboard.press("Enter")
    lab.keyboard.insert_text("import os\nSELECT = 1")
    lab.wait_for_function(f"() => ({keyword_color})('import') !== null", timeout=30_000)
    python_keyword = lab.evaluate(keyword_color, "import")
    assert sql_color == python_keyword, (sql_color, python_keyword)
    shot(lab, "09-desql-highlighting")


def test_insert_cell_loads_a_query_result_in_the_notebook(lab: Page):
    # the notebook of the previous test is the current one; go back to the DES tab
    lab.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="DES").first.click()
    show(lab, "jobs")
    job_row(lab, "tile objects").locator(".deslab-insert").click()
    nb = lab.locator(".jp-NotebookPanel").last
    expect(nb).to_be_visible()
    cell = nb.locator(".jp-CodeCell", has_text="Table.read(")
    expect(cell).to_have_count(1)
    expect(cell).to_contain_text("result.csv.gz")
    cell.locator(".jp-InputPrompt").click()
    lab.keyboard.press("Shift+Enter")
    expect(cell.locator(".jp-OutputArea-output")).to_contain_text("Table length=", timeout=180_000)
    shot(lab, "10-insert-cell")
