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


def test_a_png_from_another_machine_restores_by_run_name(server, browser, tmp_path):  # noqa: F811
    import numpy as np
    from PIL import Image, PngImagePlugin

    from app.export import PROVENANCE_KEY

    info = PngImagePlugin.PngInfo()  # as an older ganscope on another machine wrote it: absolute paths
    prov = {"run": "/home/someone/ganscope/checkpoints/mnist-dcgan", "seed": 42, "z": [0.0] * 100,
            "snapshot": "/home/someone/ganscope/checkpoints/mnist-dcgan/snapshots/step-0011700.safetensors"}  # fmt: skip
    import json

    info.add_text(PROVENANCE_KEY, json.dumps(prov))
    png = tmp_path / "seed-42.png"
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(png, pnginfo=info)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{server}/interpolate", timeout=120_000)
        _wait_ready(page, "Interpolate")
        page.locator('.st-key-restore_png input[type="file"]').set_input_files(str(png))
        page.get_by_text("Restored 1 latent(s) from mnist-dcgan (step 11,700), the open run").wait_for(timeout=60_000)
    finally:
        page.close()


@pytest.fixture(scope="module")
def small_upload_server(imports):  # noqa: F811
    """The dashboard with Streamlit's own upload limit at 1 MB (the browser refuses larger files itself)."""
    import os

    from tests.conftest import ROOT
    from tests.test_browser import serving

    yield from serving(ROOT, dict(os.environ, GANSCOPE_IMPORT_DIR=str(imports), STREAMLIT_SERVER_MAX_UPLOAD_SIZE="1"))


UPLOADERS = {  # uploader key -> (its page, where its outcome is drawn)
    "restore_png": ("", "stSidebar"),
    "import_upload": ("", "stSidebar"),
    "proj_upload": ("project", "stMain"),
}


@pytest.mark.parametrize("uploader", list(UPLOADERS))
def test_an_oversize_upload_after_a_failed_one_drops_the_older_error(small_upload_server, browser, tmp_path, uploader):  # noqa: F811
    """Issue 23 item 8: the browser refuses a file over the upload size itself (no rerun reaches the server);
    the error drawn for the previous file must not stay on screen naming it. It failed before
    app/components/uploads.py: the sidebar still said "first.png: …" beside the uploader's "file too large"."""
    path, area = UPLOADERS[uploader]
    bad, big = tmp_path / "first.png", tmp_path / "second.png"
    bad.write_bytes(b"not an image")
    big.write_bytes(b"\0" * (2 * 2**20))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{small_upload_server}/{path}", timeout=120_000)
        page.locator(f'.st-key-{uploader} input[type="file"]').wait_for(state="attached", timeout=120_000)
        box = page.locator(f'.st-key-{uploader} input[type="file"]')
        box.set_input_files(str(bad))
        errors = page.locator(f'[data-testid="{area}"] [data-testid="stAlertContentError"]', has_text="first.png")
        errors.first.wait_for(timeout=60_000)
        box.set_input_files(str(big))
        page.locator(f".st-key-{uploader}", has_text="second.png").first.wait_for(timeout=10_000)  # its own refusal
        page.wait_for_timeout(1000)
        alerts = page.locator(f'[data-testid="{area}"] [data-testid="stAlert"]')
        shown = [a.inner_text() for a in alerts.all() if a.is_visible()]
        assert not [a for a in shown if "first.png" in a], shown  # (the uploader itself still lists the file it holds)
        box.set_input_files(str(bad))  # a newer upload's outcome is shown again
        page.locator(f'[data-testid="{area}"] [data-testid="stAlert"]', has_text="first.png").first.wait_for(
            state="visible", timeout=60_000
        )
    finally:
        page.close()
