"""Pages keep their inputs in Chromium (issue 23 item 1): a link's grid survives a click to Interpolate
and back, on screen and in the address bar."""

from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.test_browser import CHROMIUM, _wait_ready, browser, imports, server  # noqa: F401 - the fixtures
from tests.test_links_browser import _wait_text

pytestmark = pytest.mark.skipif(not CHROMIUM, reason="no chromium")


def _nav(page, label: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()
    _wait_ready(page, label)


def test_a_links_grid_survives_interpolate_and_back(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{server}/?run=mnist-dcgan&seed=100&rows=4&cols=5&psi=0.7", timeout=120_000)
        _wait_ready(page, "Samples")
        _wait_text(page, "stMain", r"20 samples, seeds 100–119")
        _nav(page, "Interpolate")
        _nav(page, "Samples")
        _wait_text(page, "stMain", r"20 samples, seeds 100–119")
        page.wait_for_timeout(1000)
        query = dict(parse_qsl(urlsplit(page.url).query))
        assert {k: query.get(k) for k in ("run", "seed", "rows", "cols", "psi")} == {
            "run": "mnist-dcgan", "seed": "100", "rows": "4", "cols": "5", "psi": "0.7"
        }  # fmt: skip
    finally:
        page.close()
