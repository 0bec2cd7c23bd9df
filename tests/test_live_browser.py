"""A run watched in the browser while a real training process writes it: the step shown advances and
new snapshots appear without a reload, and the page says when training has finished."""

import re
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, SHARED
from tests.test_browser import CHROMIUM, browser, imports, server  # noqa: F401 - the fixtures: one app, one Chromium

TRAINER = """
import sys, time
from pipelines.presets import get_preset
from pipelines.train import train
cfg = get_preset("mnist-mlp").replace(data_dir=sys.argv[2], limit=2048, batch_size=32, max_steps=300, log_every=10,
                                      snapshot_every=100, eval_samples=16)
train(cfg, sys.argv[1], progress=False, callbacks=[lambda info: time.sleep(0.06)])  # paced so a person can watch
"""


def _sidebar_text(page) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


def _wait_for(page, pattern: str, timeout: float = 120) -> re.Match:
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(pattern, _sidebar_text(page))
        if m:
            return m
        page.wait_for_timeout(300)
    raise AssertionError(f"{pattern!r} never appeared in the sidebar: {_sidebar_text(page)!r}")


@pytest.mark.skipif(not CHROMIUM, reason="no chromium")
def test_a_training_run_updates_itself_in_the_browser(server, browser, tmp_path):  # noqa: F811
    run = tmp_path / "live-mlp"
    proc = subprocess.Popen([sys.executable, "-c", TRAINER, str(run), str(SHARED / "mnist")], cwd=ROOT)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{server}/?run={run}", timeout=120_000)  # as ganscope-train prints it: before the run exists
        page.get_by_role("heading", name="Samples").first.wait_for(timeout=120_000)
        first = _wait_for(page, r"training: step (\d+) of 300")  # the page opened the run by itself
        step, snaps = int(first.group(1)), int(_wait_for(page, r"(\d+) snapshots").group(1))
        later = _wait_for(page, rf"training: step (?!{step}\b)(\d+) of 300")  # no reload: the page reran itself
        assert int(later.group(1)) > step
        more = _wait_for(page, rf"(?!{snaps}\b)(\d+) snapshots")
        assert int(more.group(1)) > snaps
        proc.wait(timeout=180)
        _wait_for(page, r"finished: step 300 of 300")
        assert page.locator('[data-testid="stException"]').count() == 0
        page.close()
    finally:
        proc.kill()
