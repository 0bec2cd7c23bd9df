"""The Lab in a real browser (headless Chromium, `streamlit run app/main.py`): Play makes the iteration
count grow with the plane redrawn as a picture, Pause stops it and leaves D's heatmap and the gradient
arrows as a plotly figure, Step D / Step G, scrub back,
fork, save as a run and open the saved run on Samples."""

from __future__ import annotations

import os
import re
import time

import pytest

from tests.conftest import ROOT
from tests.test_browser import CHROMIUM, serving


@pytest.fixture(scope="module")
def saved_root(tmp_path_factory):
    return tmp_path_factory.mktemp("lab-saves")


@pytest.fixture(scope="module")
def server(saved_root):
    yield from serving(ROOT, dict(os.environ, GANSCOPE_IMPORT_DIR=str(saved_root)))


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        pg = b.new_page(viewport={"width": 1500, "height": 1200})
        pg.goto(server + "/lab")
        pg.wait_for_selector(".js-plotly-plot", timeout=120_000)
        yield pg
        b.close()


def iteration(pg, who: str = "run") -> int:
    """The iteration the metrics panel shows for the run (or the fork)."""
    panel = pg.locator('[data-testid="stMarkdownContainer"]', has_text=re.compile(f"^{who} · iteration"))
    try:
        text = panel.first.inner_text(timeout=30_000)
    except Exception as e:  # noqa: BLE001 - say what the page shows instead
        raise AssertionError(f"no '{who} · iteration' panel; the page shows:\n{pg.locator('body').inner_text()}") from e
    return int(re.search(r"iteration\s+(\d+)", text).group(1))


def wait_for(pg, predicate, timeout: float = 60.0) -> None:
    """Until ``predicate()`` holds (the page reruns in between); fails naming the iterations shown."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - the page may be rerunning; try again
            pass
        time.sleep(0.3)
    shown = pg.locator('[data-testid="stMarkdownContainer"]', has_text=re.compile("^(run|fork) · iteration")).all_inner_texts()
    raise AssertionError(f"the page did not get there in {timeout:.0f} s; it shows {shown}")


def plane_traces(pg) -> dict[str, int]:
    """Trace name -> number of points of the first plane (the first plot with fake samples: while the plane's
    fragment redraws, the loss chart below it can be the first plot on the page), as plotly holds them."""
    return pg.evaluate(
        """() => {
             for (const el of document.querySelectorAll('.js-plotly-plot')) {
               const data = el._fullData || [];
               if (data.some(t => t.name === 'fake')) {
                 return Object.fromEntries(data.map(t => [t.name, (t.z || t.x || []).length]));
               }
             }
             return {};
           }"""
    )


def plane_image(pg) -> str:
    """The source of the plane's picture while the lab plays (lab_raster: a new media file each redraw)."""
    return pg.locator('[data-testid="stImage"] img').first.get_attribute("src", timeout=30_000) or ""


def test_play_draws_and_pause_stops(page):
    page.get_by_role("button", name="Play", exact=True).click()
    wait_for(page, lambda: iteration(page) > 50)
    first, picture = iteration(page), plane_image(page)
    wait_for(page, lambda: iteration(page) > first + 20 and plane_image(page) != picture)  # it redraws as it trains
    width = page.locator('[data-testid="stImage"] img').first.evaluate("i => i.complete ? i.naturalWidth : 0")
    assert width == 460, width  # the picture loaded
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=30_000)
    time.sleep(1.5)
    stopped = iteration(page)
    time.sleep(2.0)
    assert iteration(page) == stopped
    wait_for(page, lambda: plane_traces(page), timeout=10)  # paused, the plane is a plotly figure again
    traces = plane_traces(page)
    assert traces.get("D", 0) == 60 and traces.get("arrows", 0) > 0 and traces.get("fake", 0) == 256, traces
    assert page.locator(".js-plotly-plot .heatmaplayer image").count() >= 1  # the heatmap is painted
    assert page.locator('[data-testid="stImage"]').count() == 0  # and the picture is gone


def click_when_enabled(pg, name: str) -> None:
    """Click a button once the page has finished rerunning (the step buttons are disabled while playing)."""
    button = pg.get_by_role("button", name=name, exact=True)
    wait_for(pg, button.is_enabled)
    pg.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
    button.click()


def test_step_d_and_step_g(page):
    before = iteration(page)
    click_when_enabled(page, "Step D")
    wait_for(page, lambda: iteration(page) == before + 1)
    click_when_enabled(page, "Step G")
    wait_for(page, lambda: iteration(page) == before + 2)


def test_scrub_back_and_fork(page):
    now = iteration(page)
    thumb = page.get_by_role("slider", name="Scrub to iteration")
    thumb.focus()
    thumb.press("Home")
    wait_for(page, lambda: iteration(page) < now)
    back = iteration(page)
    page.get_by_role("button", name="Fork here").click()
    wait_for(page, lambda: iteration(page, "fork") == back)
    assert page.locator(".js-plotly-plot").count() >= 4  # two planes and the two charts


def test_save_and_open_on_samples(page, saved_root):
    page.get_by_label("Run name").fill("browser-lab")
    page.get_by_label("Run name").press("Enter")
    page.get_by_role("button", name="Save as a run").click()
    page.get_by_text("Saved to").wait_for(timeout=60_000)
    assert (saved_root / "browser-lab" / "snapshots").is_dir()
    page.get_by_role("button", name="Open it on Samples").click()
    page.get_by_role("heading", name="Samples").wait_for(timeout=60_000)
    page.get_by_text("browser-lab").first.wait_for(timeout=30_000)
