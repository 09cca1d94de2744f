"""The catalogue page end to end in headless Chromium (Debian's package, driven by Playwright through
`executable_path`) against a live server with real data: list, "more", a scope pattern, open a DID, an invalid filter.

The screenshots are kept under test-artefacts/ (ignored by git); the test prints their paths.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from didmeta.client import NewDid
from tests.support.databases import new_sqlite_database
from tests.support.rest import RestServer, start_rest_server
from tests.support.server import ServerProcess

REPO = Path(__file__).resolve().parents[2]
ARTEFACTS = REPO / "test-artefacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FILES = 120


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory, start_server: Callable[..., ServerProcess]) -> RestServer:
    """A server with scope `cat`: container C > dataset D (files f000..f119 with run_number and energy)."""
    server = start_rest_server(start_server, {"database": new_sqlite_database(tmp_path_factory.mktemp("page"))})
    with server.process.client(timeout=60) as client:
        client.add_scope("cat")
        client.add_dids(
            [NewDid("cat:C", "container"), NewDid("cat:D", "dataset", metadata={"campaign": "mc24", "note": "page"})]
            + [
                NewDid(f"cat:f{i:03}", "file", bytes=1000 + i, metadata={"run_number": i, "energy": i / 2})
                for i in range(FILES)
            ]
        )
        client.attach("cat:C", ["cat:D"])
        client.attach("cat:D", [f"cat:f{i:03}" for i in range(FILES)])
        for other in ("cow", "dog"):  # for the scope pattern: `c*` matches cow, not dog
            client.add_scope(other)
            client.add_did(f"{other}:X", "dataset")
    return server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail("chromium is not installed: run `bash tools/toolchain.sh install` (tools/run_tests.sh does)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _shot(page: Page, name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / name
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


def test_list_more_open_and_error(catalogue: RestServer, page: Page) -> None:
    page.goto(catalogue.base + "/")
    expect(page).to_have_title("didmeta catalogue")

    # a filtered listing streams into the table, 50 at a time, with the total count
    page.fill("#scope", "cat")
    page.fill("#filter", "run_number>=10")
    page.select_option("#type", "DID_TYPE_SELECTOR_FILE")
    page.click("#list")
    expect(page.locator("#count")).to_have_text(f"50 of {FILES - 10} DIDs")
    rows = page.locator("#dids tbody tr")
    expect(rows).to_have_count(50)
    expect(rows.nth(0).locator("td.did")).to_have_text("cat:f010")
    expect(rows.nth(49).locator("td.did")).to_have_text("cat:f059")

    # "more" resumes from the page token: the next 50 follow without a gap or a repeat
    page.click("#more")
    expect(page.locator("#count")).to_have_text(f"100 of {FILES - 10} DIDs")
    expect(rows).to_have_count(100)
    expect(rows.nth(50).locator("td.did")).to_have_text("cat:f060")
    page.click("#more")
    expect(page.locator("#count")).to_have_text(f"{FILES - 10} of {FILES - 10} DIDs")
    expect(page.locator("#more")).to_be_hidden()
    names = rows.locator("td.did").all_text_contents()
    assert names == [f"cat:f{i:03}" for i in range(10, FILES)]

    # a scope pattern: the collections of every scope matching c*, in (scope, name) order
    page.fill("#scope", "c*")
    page.fill("#filter", "")
    page.select_option("#type", "DID_TYPE_SELECTOR_COLLECTION")
    page.click("#list")
    expect(page.locator("#count")).to_have_text("3 of 3 DIDs")
    expect(rows).to_have_count(3)
    assert rows.locator("td.did").all_text_contents() == ["cat:C", "cat:D", "cow:X"]
    page.fill("#scope", "cat")

    # open a dataset: attributes, metadata per plugin, and its content
    page.fill("#filter", "")
    page.select_option("#type", "DID_TYPE_SELECTOR_COLLECTION")
    page.click("#list")
    expect(page.locator("#count")).to_have_text("2 of 2 DIDs")
    page.locator("#dids tbody tr", has_text="cat:D").click()
    expect(page.locator("#details-title")).to_have_text("cat:D")
    expect(page.locator("#content-count")).to_have_text(f"{FILES} children")
    expect(page.locator("#content tbody tr")).to_have_count(FILES)
    json_plugin = page.locator('#metadata .plugin[data-plugin="JSON"]')
    expect(json_plugin.locator("tr", has_text="note")).to_contain_text("page")
    did_column = page.locator('#metadata .plugin[data-plugin="DID_COLUMN"]')
    expect(did_column.locator("tr", has_text="campaign")).to_contain_text("mc24")
    expect(page.locator("#attributes")).to_contain_text("DATASET")
    _shot(page, "catalogue-page.png")

    # a file's metadata: typed values from both plugins
    page.select_option("#type", "DID_TYPE_SELECTOR_FILE")
    page.fill("#filter", "energy>59")
    page.click("#list")
    expect(page.locator("#count")).to_have_text("1 of 1 DIDs")
    page.locator("#dids tbody tr").first.click()
    expect(page.locator("#details-title")).to_have_text("cat:f119")
    expect(page.locator('#metadata .plugin[data-plugin="DID_COLUMN"] tr', has_text="run_number")).to_contain_text("119")
    expect(page.locator('#metadata .plugin[data-plugin="JSON"] tr', has_text="energy")).to_contain_text("59.5")
    expect(page.locator("#content-count")).to_have_text("A file has no content.")

    # an invalid filter shows the status and the server's message
    page.fill("#filter", "run_number>>3")
    page.click("#list")
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("HTTP 400 · INVALID_ARGUMENT · INVALID_FILTER")
    expect(error).to_contain_text("run_number>>3")
    expect(page.locator("#count")).to_have_text("Listing failed.")
    _shot(page, "catalogue-page-error.png")

    # a DID that is gone meanwhile: NOT_FOUND in the error box
    with catalogue.process.client() as client:
        client.add_did("cat:gone", "dataset")
    page.fill("#filter", "")
    page.select_option("#type", "DID_TYPE_SELECTOR_DATASET")
    page.click("#list")
    expect(page.locator("#count")).to_have_text("2 of 2 DIDs")
    with catalogue.process.client() as client:
        client.delete_dids(["cat:gone"])
    page.locator("#dids tbody tr", has_text="cat:gone").click()
    expect(error).to_contain_text("HTTP 404 · NOT_FOUND · DID_NOT_FOUND")
    log = catalogue.process.log_path.read_text()  # "more" stops reading mid-stream: that must be clean
    assert "Traceback" not in log and "Error handling request" not in log, log[-3000:]
