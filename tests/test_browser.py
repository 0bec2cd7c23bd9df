"""The real app in a real browser: `streamlit run app/main.py` on a free localhost port, every page
opened in headless Chromium (Debian's chromium, driven by playwright; no browser is downloaded).

Screenshots go to the test's temporary folder, or to GANSCOPE_SCREENSHOTS when set (the docs' own
come from `python docs/screenshots.py`).
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, SHARED

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGES = [
    ("", "Samples", "img"),
    ("interpolate", "Interpolate", "img"),
    ("arithmetic", "Latent arithmetic", "img"),
    ("directions", "Directions", "img"),
    ("compare", "Compare", "img"),
    ("training", "Training", "plot"),
    ("diagnostics", "Diagnostics", "img"),
    ("classic", "Classic GANs", "button"),
    ("ablation", "MLP ablation", "img"),
    ("dynamics", "Adversarial dynamics", "plot"),
    ("architecture", "Architecture", "table"),
]
EXPECT = {"img": "img", "plot": ".js-plotly-plot", "button": "button", "table": '[data-testid="stDataFrame"]'}

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium for the browser test (.ci/run installs it)")
    pytest.skip("no chromium here: apt-get install chromium to run the browser test", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def imports(tmp_path_factory) -> Path:
    """Where the server's "Import a generator" writes runs (never the checkout's runs/)."""
    return tmp_path_factory.mktemp("imports")


def _start_server(cwd: Path, env: dict, address: str | None = "127.0.0.1") -> tuple[subprocess.Popen, str]:
    """`streamlit run ROOT/app/main.py` started in ``cwd``, on a free port; (process, URL) once healthy.
    ``address`` None: no --server.address, so the app's own config.toml decides where it listens.
    The server's output goes to a temporary file (``server_log(proc)`` reads it): an unread pipe fills after
    64 KB and then blocks the server mid-run, which a test would see as a page that stopped answering."""
    port = _free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="streamlit-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app" / "main.py"),
            "--server.port",
            str(port),
            *(["--server.address", address] if address else []),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    proc.log_path = log.name  # type: ignore[attr-defined]
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    pytest.fail("streamlit did not start: " + server_log(proc))


def server_log(proc: subprocess.Popen, tail: int = 4000) -> str:
    """The last ``tail`` characters the server printed."""
    return Path(proc.log_path).read_text(errors="replace")[-tail:]  # type: ignore[attr-defined]


def serving(cwd, env: dict, **kwargs):
    """A module fixture's body: ``yield from serving(...)`` starts the app (``_start_server``), yields its URL,
    and ends the server when the module is done."""
    proc, url = _start_server(cwd, env, **kwargs)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        print(f"the server's last output:\n{server_log(proc)}")  # shown when the module's last test failed
        Path(proc.log_path).unlink(missing_ok=True)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def server(imports):
    yield from serving(ROOT, dict(os.environ, GANSCOPE_IMPORT_DIR=str(imports)))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


def _shots() -> Path | None:
    d = os.environ.get("GANSCOPE_SCREENSHOTS")
    return (ROOT / d) if d else None


def _wait_ready(page, title: str) -> None:
    page.get_by_role("heading", name=title).first.wait_for(timeout=120_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    page.wait_for_timeout(1500)


@pytest.mark.parametrize("path,title,expect", PAGES)
def test_every_page_in_chromium(server, browser, path, title, expect, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    try:
        page.goto(f"{server}/{path}", timeout=120_000)
        _wait_ready(page, title)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_role("button", name="Deploy").count() == 0  # client.toolbarMode = "viewer"
        errors = page.locator('[data-testid="stAlertContentError"]')
        assert errors.count() == 0, errors.all_inner_texts()
        main = page.locator('[data-testid="stMain"]')
        shown = main.locator(EXPECT[expect])
        shown.first.wait_for(timeout=120_000)
        assert shown.count() >= 1
        if expect == "img":
            # drawn, not broken (a rerun may still be swapping the image's media file: wait for the one it keeps)
            img = "document.querySelector('[data-testid=stMain] img')"
            page.wait_for_function(f"() => {{ const i = {img}; return i && i.complete && i.naturalWidth > 0; }}", timeout=30_000)
        if title == "Samples":  # 8 columns of 28 px digits, each drawn at least 168 px (6x)
            assert shown.first.evaluate("i => i.naturalWidth") >= 8 * 168
        if title == "Training":
            main.locator(".js-plotly-plot").nth(2).wait_for(timeout=120_000)
        out = _shots() or tmp_path
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / f"page-{path or 'samples'}.png"), full_page=False)
    finally:
        page.close()


def test_cold_start_and_directions_first_visit_are_printed(browser, capsys):
    """What a user waits for: launch to the first grid, and the first Directions visit (printed, not
    asserted: the machine is shared; `python benchmarks/browser_speed.py` compares against main)."""
    from benchmarks.browser_speed import measure

    t = measure(browser, ROOT)
    with capsys.disabled():
        print(
            f"\ncold start to the first grid {t['cold_start_s']:.1f} s (server up {t['server_up_s']:.1f} s); "
            f"Directions first visit {t['directions_first_visit_s']:.1f} s"
        )
    assert t["cold_start_s"] > 0 and t["directions_first_visit_s"] > 0


def test_started_from_another_folder_it_is_the_same_app(browser, tmp_path):
    """`streamlit run /path/to/app/main.py` from any folder: the shipped runs, the first grid, and the
    header's settings (no Deploy button: the config beside the script is read wherever it is started)."""
    proc, url = _start_server(tmp_path, dict(os.environ, GANSCOPE_IMPORT_DIR=str(tmp_path / "imports")))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(url, timeout=120_000)
        _wait_ready(page, "Samples")
        page.locator(f"{EXPECT['img']}").first.wait_for(timeout=120_000)
        assert "mnist-dcgan" in page.locator('[data-testid="stSidebar"]').inner_text()
        assert page.get_by_role("button", name="Deploy").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()
        proc.terminate()
        proc.wait(timeout=20)
    assert not (tmp_path / "runs").exists()  # nothing written into the folder it was started in


def test_download_buttons_make_their_files_when_clicked(server, browser, tmp_path):
    """The Samples page's downloads are made on click (not on every run of the page): the grid PNG still
    carries the 64 latents, the ZIP one PNG per sample."""
    import zipfile

    from app.export import latents_from_png

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        page.goto(server, timeout=120_000)
        _wait_ready(page, "Samples")
        files = {}
        for label in ("Grid PNG", "ZIP of PNGs"):
            with page.expect_download(timeout=60_000) as dl:
                page.get_by_role("button", name=label).first.click()
            files[label] = tmp_path / dl.value.suggested_filename
            dl.value.save_as(files[label])
        prov, vectors = latents_from_png(files["Grid PNG"].read_bytes(), 100)
        assert len(vectors) == 64 and prov["run"].endswith("mnist-dcgan") and files["Grid PNG"].name == "seeds-0-63-grid.png"
        with zipfile.ZipFile(files["ZIP of PNGs"]) as z:
            assert len([n for n in z.namelist() if n.endswith(".png")]) == 64
    finally:
        page.close()


def test_downloads_clicked_one_after_another_all_arrive(server, browser, tmp_path):
    """A user clicks every export in quick succession (here after opening and closing Copy link): each
    click gives its file. A download used to rerun the page, and a rerun drops the other buttons' files
    ("Deferred file not found"), so a quick second or third click got nothing."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        page.goto(server, timeout=120_000)
        _wait_ready(page, "Samples")
        page.get_by_role("button", name="Copy link").first.click()
        page.wait_for_timeout(300)
        page.keyboard.press("Escape")  # closing the popover reruns the page once
        page.wait_for_timeout(500)
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
        downloads = []
        page.on("download", lambda d: downloads.append(d))
        labels = ("Grid PNG", "ZIP of PNGs", "Latents .npy", "Latents .json") * 2
        for label in labels:  # one click after another, not waiting for the file
            page.get_by_role("button", name=label).first.click()
            page.wait_for_timeout(150)
        deadline = time.time() + 30
        while len(downloads) < len(labels) and time.time() < deadline:
            page.wait_for_timeout(250)
        names = sorted(d.suggested_filename for d in downloads)
        expected = ["seeds-0-63-grid.png", "seeds-0-63-latents.json", "seeds-0-63-latents.npy", "seeds-0-63.zip"]
        assert names == sorted(expected * 2), names
        assert all(d.failure() is None for d in downloads)
    finally:
        page.close()


def test_dropping_an_exported_png_restores_its_latent(server, browser, tmp_path):
    from app.export import png_bytes

    png = tmp_path / "seed-42.png"
    z = np.random.default_rng(0).standard_normal(100).round(4).tolist()
    png.write_bytes(
        png_bytes(
            np.zeros((28, 28), np.uint8), {"run": str(ROOT / "checkpoints" / "mnist-dcgan"), "snapshot": "x", "seed": 42, "z": z}
        )
    )
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{server}/interpolate", timeout=120_000)
        _wait_ready(page, "Interpolate")
        page.locator('.st-key-restore_png input[type="file"]').set_input_files(str(png))
        page.get_by_text("Restored 1 latent(s) from mnist-dcgan").wait_for(timeout=60_000)
        page.get_by_text("png: seed 42").first.wait_for(timeout=60_000)  # it became the interpolation start
    finally:
        page.close()


def test_uploading_a_photo_projects_it_onto_the_face_run(server, browser, tmp_path):
    photo = SHARED / "faces" / "att_orl" / "s12" / "5.pgm"
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    try:
        page.goto(f"{server}/project", timeout=120_000)
        _wait_ready(page, "Project a photo")
        page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
        page.keyboard.type("faces-orl")
        page.keyboard.press("Enter")
        page.get_by_text("Projecting onto faces-orl").wait_for(timeout=120_000)
        page.locator('[data-testid="stMain"] input[type="file"]').set_input_files(str(photo))
        page.wait_for_timeout(1500)
        page.get_by_role("button", name="Project", exact=True).click()
        page.get_by_text("reconstruction · photo 5.pgm").wait_for(timeout=120_000)
        _wait_ready(page, "Project a photo")
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stMain"] img').count() >= 3  # crop, reconstruction, error map
        out = _shots() or tmp_path
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / "page-project.png"), full_page=False)
    finally:
        page.close()


def test_importing_a_generator_opens_it_as_a_run(server, browser, imports, tmp_path):
    import torch

    from tests.fixtures.upstream import DCGANGenerator, weights_init

    torch.manual_seed(0)
    G = DCGANGenerator(nz=16, ngf=4, nc=1)
    G.apply(weights_init)
    torch.save(G.state_dict(), tmp_path / "netG_epoch_9.pth")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(server, timeout=120_000)
        _wait_ready(page, "Samples")
        page.locator('.st-key-import_upload input[type="file"]').set_input_files(str(tmp_path / "netG_epoch_9.pth"))
        page.get_by_text("as run netG_epoch_9").wait_for(timeout=120_000)
        page.get_by_text("imported from").first.wait_for(timeout=60_000)
        _wait_ready(page, "Samples")
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stMain"] img').count() >= 1
        assert (imports / "netG_epoch_9" / "config.json").is_file()
        out = _shots() or tmp_path
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / "page-import.png"), full_page=False)
    finally:
        page.close()


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').all_inner_texts()


def test_bad_pngs_dropped_on_the_sidebar_get_a_sentence(server, browser, tmp_path):
    from app.export import png_bytes

    img = np.zeros((8, 8), np.uint8)
    cases = {
        "string-z.png": (png_bytes(img, {"seed": 1, "z": "0.1, 0.2"}), "not a list of finite numbers"),
        "short-z.png": (png_bytes(img, {"seed": 2, "z": [0.5] * 64}), "does not fit this run"),
        "text.png": (b"not an image at all\n", "not an image that can be read"),
    }
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{server}/interpolate", timeout=120_000)
        _wait_ready(page, "Interpolate")
        for name, (data, says) in cases.items():
            path = tmp_path / name
            path.write_bytes(data)
            page.locator('.st-key-restore_png input[type="file"]').set_input_files(str(path))
            page.locator('[data-testid="stSidebar"] [data-testid="stAlertContentError"]').filter(has_text=says).wait_for(
                timeout=60_000
            )
            text = page.locator('[data-testid="stSidebar"] [data-testid="stAlertContentError"]').inner_text()
            assert name in text and "object at" not in text, text
            _no_exception(page)
        assert page.get_by_text("Restored").count() == 0
    finally:
        page.close()


def test_uploading_tiny_and_many_face_photos(server, browser, tmp_path):
    from PIL import Image

    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (5, 5), (120, 90, 70)).save(tiny)
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    try:
        page.goto(f"{server}/project", timeout=120_000)
        _wait_ready(page, "Project a photo")
        page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
        page.keyboard.type("faces-orl")
        page.keyboard.press("Enter")
        page.get_by_text("Projecting onto faces-orl").wait_for(timeout=120_000)
        upload = page.locator('[data-testid="stMain"] input[type="file"]')
        upload.set_input_files(str(tiny))
        page.get_by_text("tiny.png: The faces in this photo (or the photo itself) are too small").wait_for(timeout=120_000)
        _no_exception(page)
        upload.set_input_files(str(SHARED / "faces" / "wild" / "dlib" / "2008_002470.jpg"))
        page.get_by_text("3 faces found in 2008_002470.jpg").wait_for(timeout=120_000)
        _no_exception(page)
        page.get_by_text("face 3", exact=True).first.wait_for(timeout=60_000)  # a thumbnail and a choice per face
    finally:
        page.close()


def test_the_protocol_visitor_does_what_a_browser_asks_of_the_server(server):
    """benchmarks/protocol_visitor.py stands in for a browser in the crowd benchmark: it must run the pages, fetch
    the grids they send, and count the error boxes a browser would show."""
    from benchmarks.protocol_visitor import ProtocolVisitor

    v = ProtocolVisitor(server)
    try:
        v.open("run=mnist-dcgan")
        shown = v.fetched
        assert shown >= 1 and v.errors == 0  # the Samples grid, fetched as the browser's <img> would
        v.page("Interpolate")
        assert v.fetched > shown and v.errors == 0
    finally:
        v.close()
    v = ProtocolVisitor(server)
    try:
        v.open("run=no-such-run")  # the page says so in an error box
        assert v.errors == 1
    finally:
        v.close()
