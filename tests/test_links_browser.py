"""Links in Chromium: a URL with parameters opens the view it names (run, snapshot, seed, interpolation
t); the URL from the Copy link button reopens the same view in a new tab; and a link to a run that
is failing while it trains shows the early warning before the training ends."""

import re
import subprocess
import sys
import time

import pytest

from pipelines import runs
from tests.conftest import ROOT, SHARED
from tests.test_browser import CHROMIUM, _wait_ready, browser, imports, server  # noqa: F401 - the fixtures

pytestmark = pytest.mark.skipif(not CHROMIUM, reason="no chromium")

FAILING = """
import sys, time
from pipelines.presets import get_preset
from pipelines.train import train
cfg = get_preset("eights-convergence-failure").replace(data_dir=sys.argv[2], limit=2048, epochs=1000, max_steps=600,
                                                         eval_samples=16)
train(cfg, sys.argv[1], progress=False, callbacks=[lambda info: time.sleep(0.05)])  # paced: it must outlive the check
"""


def _text(page, where: str) -> str:
    return page.locator(f'[data-testid="{where}"]').inner_text()


def _wait_text(page, where: str, pattern: str, timeout: float = 120) -> re.Match:
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(pattern, _text(page, where))
        if m:
            return m
        page.wait_for_timeout(300)
    raise AssertionError(f"{pattern!r} never appeared in {where}: {_text(page, where)!r}")


def _view(page) -> dict:
    """What a user reads off the Interpolate page: the run, the snapshot and the scrubbed frame."""
    side, main = _text(page, "stSidebar"), _text(page, "stMain")
    return {
        "run": re.search(r"(\S+) · preset", side).group(1),
        "snapshot": re.search(r"step ([\d,]+) · epoch", side).group(1),
        "frame": re.search(r"(lerp|slerp), t = ([\d.]+)", main).group(0),
    }


def test_a_url_opens_the_view_it_names_and_copy_link_reopens_it(server, browser):  # noqa: F811
    step = [m["step"] for _, m in runs.list_snapshots(ROOT / "checkpoints" / "mnist-dcgan")][1]
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    try:
        page.goto(f"{server}/?run=fashion-dcgan&seed=40&rows=2&cols=4", timeout=120_000)
        _wait_ready(page, "Samples")
        _wait_text(page, "stMain", r"8 samples, seeds 40–47")
        assert "fashion-dcgan" in _text(page, "stSidebar")

        page.goto(f"{server}/interpolate?run=mnist-dcgan&snap={step}&a=12&b=3&mode=lerp&t=0.3", timeout=120_000)
        _wait_ready(page, "Interpolate")
        _wait_text(page, "stMain", r"lerp, t = 0\.30")
        view = _view(page)
        assert view == {"run": "mnist-dcgan", "snapshot": str(step), "frame": "lerp, t = 0.30"}
        assert "a=12" in page.url and "t=0.3" in page.url  # the address bar names the view too

        page.get_by_role("button", name="Copy link").click()
        link = page.locator('[data-testid="stPopoverBody"] code').first.inner_text().strip()
        assert link.startswith(f"{server}/interpolate?") and f"snap={step}" in link
        other = context.new_page()  # a colleague's tab
        other.goto(link, timeout=120_000)
        _wait_ready(other, "Interpolate")
        _wait_text(other, "stMain", r"lerp, t = 0\.30")
        assert _view(other) == view
        assert other.locator('[data-testid="stException"]').count() == 0

        page.goto(f"{server}/?run=no-such-run", timeout=120_000)
        _wait_text(page, "stSidebar", r"“no-such-run”, which does not exist here")
        assert page.locator('[data-testid="stMain"] img').count() == 0  # no other run's samples under the error
    finally:
        context.close()


def test_a_failing_run_warns_while_it_trains(server, browser, tmp_path):  # noqa: F811
    run = tmp_path / "failing-eights"
    proc = subprocess.Popen([sys.executable, "-c", FAILING, str(run), str(SHARED / "mnist")], cwd=ROOT)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        deadline = time.time() + 120
        while not list((run / "snapshots").glob("*.safetensors")) and time.time() < deadline:
            time.sleep(0.2)
        page.goto(f"{server}/?run={run}", timeout=120_000)
        _wait_text(page, "stSidebar", r"training: step \d+ of 600")
        warning = _wait_text(page, "stSidebar", r"discriminator winning since step [\d,]+.*\(verdict: convergence_failure\)", 180)
        assert proc.poll() is None, "the warning must come while the run trains, before it ends"
        assert "accuracy" in warning.group(0)
    finally:
        proc.kill()
        page.close()
