"""The Train page in headless Chromium against `streamlit run app/main.py`: it starts a toy run whose
progress advances on the page, a second Start waits in the queue, Stop leaves a resumable run (and the
queue moves on), Resume continues it, a reload finds it again, the live view follows it, and it finishes.
And the server listens on localhost only."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time

import pytest

from pipelines import jobs, runs
from tests.conftest import ROOT
from tests.test_browser import CHROMIUM, _start_server, browser  # noqa: F401 - the one-Chromium fixture

STEPS = 20_000  # toy-scalar: 100-400 steps/s on this loaded CPU: it still trains when Stop comes, and resumes in minutes
OF = f"of {STEPS:,}"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("train-page")
    return {"jobs": base / "jobs", "runs": base / "runs"}


@pytest.fixture(scope="module")
def train_server(folders):
    """The app with its jobs and new runs in a temporary folder; started without --server.address, so the
    checkout's config.toml decides where it listens."""
    folders["runs"].mkdir()
    env = dict(
        os.environ,
        GANSCOPE_JOBS_DIR=str(folders["jobs"]),
        GANSCOPE_TRAIN_DIR=str(folders["runs"]),
        GANSCOPE_RUNS=str(folders["runs"]),
    )
    proc, url = _start_server(ROOT, env, address=None)
    yield url
    for job in jobs.jobs(folders["jobs"]):
        jobs.stop(folders["jobs"], job.id)
    proc.terminate()
    proc.wait(timeout=20)


def _row(page, name: str):
    return page.locator('[class*="st-key-job_"]').filter(has_text=name).first  # the newest job of that run


def _wait_text(locator, pattern: str, timeout: float = 120) -> re.Match:
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        try:
            text = locator.inner_text(timeout=2000)
        except Exception:  # noqa: BLE001 - the fragment is being redrawn
            text = ""
        m = re.search(pattern, text)
        if m:
            return m
        time.sleep(0.3)
    raise AssertionError(f"{pattern!r} never appeared: {text!r}")


def _open_train(page, url: str) -> None:
    page.goto(f"{url}/train", timeout=120_000)
    page.get_by_role("heading", name="Train").first.wait_for(timeout=120_000)
    page.get_by_role("button", name="Start").wait_for(timeout=120_000)


def _pick_preset(page, preset: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Preset").click()
    page.keyboard.type(preset)
    page.keyboard.press("Enter")
    page.get_by_text(f"--preset {preset}").first.wait_for(timeout=60_000)


def _set_number(page, field: str, value: int, flag: str) -> None:
    box = page.get_by_role("spinbutton", name=field, exact=True)
    box.fill(str(value))
    box.press("Enter")
    page.get_by_text(f"{flag} {value}").first.wait_for(timeout=60_000)


def _set_steps(page, steps: int) -> None:
    _set_number(page, "max_steps", steps, "--max-steps")


def _step(text: str) -> int:
    return int(re.search(r"step ([\d,]+)", text).group(1).replace(",", ""))


def _advances(locator, pattern: str, timeout: float = 120) -> tuple[int, int]:
    """Two readings of ``pattern``'s step, the second higher: the view redraws itself as the run trains."""
    first = _step(_wait_text(locator, pattern, timeout).group(0))
    deadline = time.time() + timeout
    while time.time() < deadline:
        now = _step(_wait_text(locator, pattern, timeout).group(0))
        if now > first:
            return first, now
        time.sleep(0.5)
    raise AssertionError(f"the step stayed at {first}")


def test_the_dashboard_listens_on_localhost_only(train_server):
    port = int(train_server.rsplit(":", 1)[1])
    out = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout
    bound = [line.split()[3] for line in out.splitlines()[1:] if line.split()[3].endswith(f":{port}")]
    assert bound and all(addr.startswith(("127.0.0.1:", "[::1]:")) for addr in bound), bound
    others = [a for a in subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split() if ":" not in a]
    for addr in others:  # the machine's network address: refused
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((addr, port)) != 0


def test_start_queue_stop_resume_reload_watch(train_server, browser, folders):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    _open_train(page, train_server)
    _pick_preset(page, "toy-scalar")
    _set_steps(page, STEPS)
    _set_number(page, "snapshot_every", 2000, "--snapshot-every")  # snapshots seconds apart, not every 30 steps
    page.get_by_role("button", name="Start").click()
    _advances(_row(page, "toy-scalar-1"), rf"training: step [\d,]+ {OF}")  # the page redraws itself
    _set_steps(page, 60)
    page.get_by_role("button", name="Start").click()  # a second run: the device is busy
    _wait_text(_row(page, "toy-scalar-2"), r"queued · .*next in the queue")

    _row(page, "toy-scalar-1").get_by_role("button", name="Stop").click()
    _wait_text(_row(page, "toy-scalar-1"), r"stopped")
    stopped_at = runs.read_log(folders["runs"] / "toy-scalar-1")[-1]["step"]
    assert 0 < stopped_at < STEPS and (folders["runs"] / "toy-scalar-1" / runs.STATE).is_file()
    _wait_text(_row(page, "toy-scalar-2"), r"finished", timeout=180)  # the queue moved on by itself

    _row(page, "toy-scalar-1").get_by_role("button", name="Resume").click()
    _wait_text(_row(page, "toy-scalar-1"), r"running · resume")
    page.reload()  # a reloaded page finds the running job again
    page.get_by_role("button", name="Start").wait_for(timeout=120_000)
    _advances(_row(page, "toy-scalar-1"), rf"training: step [\d,]+ {OF}")

    live = browser.new_page(viewport={"width": 1400, "height": 1000})  # the live view of the run, from the row's link
    live.goto(f"{train_server}/?run={folders['runs'] / 'toy-scalar-1'}", timeout=120_000)
    _advances(live.locator('[data-testid="stSidebar"]'), r"training: step [\d,]+")
    live.close()

    _wait_text(_row(page, "toy-scalar-1"), rf"finished: step {STEPS:,} {OF}", timeout=420)
    assert runs.read_log(folders["runs"] / "toy-scalar-1")[-1]["step"] == STEPS
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()
