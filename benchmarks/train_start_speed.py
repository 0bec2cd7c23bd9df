"""How much later a run started from the Train page begins than the same run started from a terminal,
and how fast the Train page opens on a warm server, in one run.

1. First log record: the same command (``--preset P --max-steps N``) started (a) as a terminal does,
   ``python -m pipelines.train ...``, and (b) as the Train page does, through ``pipelines.jobs.submit``
   (a job record, a detached supervisor, then the trainer); each timed from the launch to the first
   record in the run's log.jsonl, then stopped. The two alternate (terminal, page, terminal, ...) so the
   machine's load hits both alike. The issue's bar: the page's median within 1 s of the terminal's.
2. The Train page on a warm server: ``streamlit run app/main.py``, the page opened once, then timed from
   navigating to ``/train`` until its Start button is drawn and the script has finished, in headless
   Chromium (Debian's, via playwright). The bar: under a second.

    python benchmarks/train_start_speed.py [--preset toy-scalar] [--repeats 5] [--no-browser]

Written to benchmarks/results/<device>-train-start-speed.txt with the torch version and the machine's
load (the machine may be shared: the load is printed before and after).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.browser_speed import free_port, uptime, wait_healthy  # noqa: E402
from pipelines import jobs  # noqa: E402


def _first_record(log: Path, deadline: float) -> float:
    while time.perf_counter() < deadline:
        try:
            if log.stat().st_size and b"\n" in log.read_bytes():
                return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.005)
    raise TimeoutError(f"no log record in {log}")


def terminal(args: list[str], run: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.train", *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        return _first_record(run / "log.jsonl", t0 + 300) - t0
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def page(args: list[str], run: Path, jobs_dir: Path) -> float:
    t0 = time.perf_counter()
    job = jobs.submit(jobs_dir, [sys.executable, "-m", "pipelines.train", *args], run)  # what the Start button calls
    try:
        return _first_record(run / "log.jsonl", t0 + 300) - t0
    finally:
        jobs.stop(jobs_dir, job.id)
        while next(j for j in jobs.jobs(jobs_dir) if j.id == job.id).status not in jobs.DONE:
            time.sleep(0.05)


def train_page_open(repeats: int, work: Path) -> tuple[list[float], list[float]]:
    """Seconds from a click on Train in the sidebar to its Start button drawn and the script done; and, as a
    baseline for the machine's load in the same run, the same for the Training page (its curves drawn)."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GANSCOPE_JOBS_DIR": str(work / "page-jobs"), "GANSCOPE_TRAIN_DIR": str(work)}
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"), "--server.port", str(port)]
    proc = subprocess.Popen(
        cmd + ["--server.headless", "true"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    idle = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
    times, baseline = [], []
    try:
        wait_healthy(url, time.perf_counter() + 120)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"])
            pg = b.new_page(viewport={"width": 1400, "height": 1000})
            pg.goto(f"{url}/train", timeout=180_000)  # warm-up: the server imports, the first session
            pg.get_by_role("button", name="Start").wait_for(timeout=180_000)
            nav = pg.locator('[data-testid="stSidebarNav"] a')
            for _ in range(repeats):  # within one browser session, as a user moves between pages
                nav.filter(has_text=re.compile(r"Samples$")).first.click()
                pg.get_by_role("heading", name="Samples").first.wait_for(timeout=180_000)
                pg.wait_for_function(idle, timeout=180_000)
                pg.wait_for_timeout(1000)
                t0 = time.perf_counter()
                nav.filter(has_text=re.compile(r"Train$")).first.click()
                pg.get_by_role("button", name="Start").wait_for(timeout=60_000)
                pg.wait_for_function(idle, timeout=60_000)
                times.append(time.perf_counter() - t0)
                pg.wait_for_timeout(1000)
                t0 = time.perf_counter()
                nav.filter(has_text=re.compile(r"Training$")).first.click()
                pg.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
                pg.wait_for_function(idle, timeout=60_000)
                baseline.append(time.perf_counter() - t0)
            b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return times, baseline


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="toy-scalar")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-browser", action="store_true", help="skip the page-open timing")
    ap.add_argument("--only-browser", action="store_true", help="only the page-open timing")
    a = ap.parse_args()
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    load_before = uptime()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        term, via_page = [], []
        for i in range(0 if a.only_browser else a.repeats):
            common = ["--preset", a.preset, "--max-steps", "100000", "--no-progress", "--device", device]
            term.append(terminal([*common, "--out", str(work / f"t{i}")], work / f"t{i}"))
            via_page.append(page([*common, "--out", str(work / f"p{i}")], work / f"p{i}", work / "jobs"))
    mt, mp = (statistics.median(term), statistics.median(via_page)) if term else (float("nan"), float("nan"))
    lines = [
        f"train start speed, median of {a.repeats} ({device}, torch {torch.__version__}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}); the machine is shared with other jobs: see the load",
        f"load before: {load_before}",
        f"load after:  {uptime()}",
        f"first log record, preset {a.preset}: terminal {mt:.2f} s, Train page (jobs.submit) {mp:.2f} s, "
        f"difference {mp - mt:+.2f} s (bar: within 1 s)",
        f"  terminal runs: {', '.join(f'{t:.2f}' for t in term)}",
        f"  page runs:     {', '.join(f'{t:.2f}' for t in via_page)}",
    ]
    print("\n".join(lines), flush=True)
    if not a.no_browser:
        with tempfile.TemporaryDirectory() as tmp:
            opens, training = train_page_open(a.repeats, Path(tmp))
        lines += [
            f"Train page open, warm server (nav click -> Start drawn, script done): median {statistics.median(opens):.2f} s "
            f"(bar: under 1 s); runs: {', '.join(f'{t:.2f}' for t in opens)}",
            f"  baseline, the Training page the same way (curves drawn): median {statistics.median(training):.2f} s; "
            f"runs: {', '.join(f'{t:.2f}' for t in training)}",
            f"load at the end: {uptime()}",
        ]
        print("\n".join(lines[-3:]))
    text = "\n".join(lines)
    out = ROOT / "benchmarks" / "results" / f"{device}-train-start-speed.txt"
    out.write_text(text + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
