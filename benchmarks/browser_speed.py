"""What a user waits for in a real browser, this tree against a baseline tree, in one run.

For each tree: launch `streamlit run app/main.py` (a fresh process, cold caches) and time
  - cold start: from launching streamlit to the Samples grid image loaded in Chromium;
  - Directions, first visit: from clicking Directions in the sidebar to its rows of samples
    loaded (the shipped MNIST DCGAN's first layer: its directions are read from the file shipped
    beside the run, checked against the snapshot's sha256, or computed where there is none);
  - Directions settled: the same click to the page done (its variance chart drawn below the rows,
    the script finished).
Each server gets an empty cache folder (GANSCOPE_CACHE), so no run profits from directions an
earlier one computed.
The trees alternate run by run (baseline, ours, baseline, ours, …) so a change in the machine's
load hits both alike; the medians and the ratio baseline / ours are printed and written to
benchmarks/results/ with the machine's load (uptime) before and after.

The baseline is a git ref (default ``main``) exported with ``git archive`` to a temporary folder,
or any checkout given with ``--baseline-dir``. Chromium is Debian's (/usr/bin/chromium), driven
by playwright; nothing is downloaded.

``--settle S`` clicks Directions S seconds after the Samples page is done instead of the moment its script
stops (the browser may still be busy with that page then).

``--floor`` also times two bare apps that show one image under a "Samples" heading, Streamlit alone
and Streamlit after ``import torch``: the cold start no change to ganscope can go below here.

    python benchmarks/browser_speed.py [--repeats 3] [--baseline-ref main | --baseline-dir DIR] [--floor]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.baseline import uptime  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

GRID = '[data-testid="stMain"] img'
IDLE = """() => !document.querySelector('[data-testid="stStatusWidget"]')"""
LOADED = "els => els.length > 0 && els.every(i => i.complete && i.naturalWidth > 0)"


def launch(pw):
    """Debian's headless Chromium (never a downloaded one), as the Lab, page and crowd benchmarks drive it."""
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def export_tree(ref: str, dest: Path) -> Path:
    """The files of git ``ref`` in ``dest`` (git archive: no worktree, no checkout)."""
    tar = dest / "tree.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(tar), ref], check=True)
    with tarfile.open(tar) as t:
        t.extractall(dest / "tree", filter="data")
    tar.unlink()
    return dest / "tree"


def start_streamlit(tree: Path, port: int, cache: Path, extra_env: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(tree), "GANSCOPE_CACHE": str(cache), **(extra_env or {})}
    cmd = [sys.executable, "-m", "streamlit", "run", str(tree / "app" / "main.py"), "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    return subprocess.Popen(cmd, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_healthy(url: str, deadline: float) -> None:
    while time.perf_counter() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("streamlit did not start")


def wait_images(page, timeout_ms: int = 180_000) -> None:
    """Until the main area shows at least one image and every image in it has loaded."""
    page.wait_for_function(f"() => ({LOADED})(Array.from(document.querySelectorAll('{GRID}')))", timeout=timeout_ms)


def measure(browser, tree: Path, directions: bool = True, settle_s: float = 0.0) -> dict[str, float]:
    """One cold start and (``directions``) one first Directions visit against ``tree``, clicked ``settle_s``
    seconds after the Samples page is done (0: the moment its script stops)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cache = tempfile.TemporaryDirectory()
    t0 = time.perf_counter()
    proc = start_streamlit(tree, port, Path(cache.name))
    try:
        wait_healthy(url, t0 + 180)
        t_server = time.perf_counter() - t0
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(url, timeout=180_000)
        page.get_by_role("heading", name="Samples").first.wait_for(timeout=180_000)
        wait_images(page)
        out = {"server_up_s": t_server, "cold_start_s": time.perf_counter() - t0}
        if directions:
            out.update(directions_visit(page, settle_s))
        page.context.close()
        return out
    finally:
        stop_server(proc, cache)


def stop_server(proc: subprocess.Popen, cache) -> None:
    """End a server started by ``start_streamlit`` (a kill if it does not go within 20 s) and remove its cache."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    cache.cleanup()


def directions_visit(page, settle_s: float = 0.0) -> dict[str, float]:
    """Click Directions once the Samples page is idle (and ``settle_s`` later): until its rows are loaded,
    and until it is done."""
    page.wait_for_function(IDLE, timeout=180_000)
    if settle_s:
        wait_images(page)
        time.sleep(settle_s)
    t1 = time.perf_counter()
    page.locator('[data-testid="stSidebarNav"] a', has_text="Directions").first.click()
    page.get_by_role("heading", name="Directions").first.wait_for(timeout=180_000)
    page.get_by_text("each row: one direction").first.wait_for(timeout=180_000)
    wait_images(page)
    t_dir = time.perf_counter() - t1
    page.locator('[data-testid="stMain"] .js-plotly-plot').first.wait_for(timeout=180_000)
    page.wait_for_function(IDLE, timeout=180_000)
    return {"directions_first_visit_s": t_dir, "directions_settled_s": time.perf_counter() - t1}


FLOOR_PAGE = """import numpy as np
import streamlit as st

st.title("Samples")
st.image(np.zeros((28, 28), np.uint8), output_format="PNG")
"""


def floor_trees(dest: Path) -> dict[str, Path]:
    """Two bare apps that show one image under a "Samples" heading: Streamlit alone, and Streamlit after
    ``import torch``. What no change to ganscope can go below on this machine."""
    trees = {"floor: streamlit only": "", "floor: streamlit + torch": "import torch  # noqa: F401\n"}
    out = {}
    for i, (name, head) in enumerate(trees.items()):
        (dest / f"floor{i}" / "app").mkdir(parents=True)
        (dest / f"floor{i}" / "app" / "main.py").write_text(head + FLOOR_PAGE)
        out[name] = dest / f"floor{i}"
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--baseline-ref", default="main", help="git ref of the baseline (exported with git archive)")
    p.add_argument("--baseline-dir", type=Path, help="a checkout to use as the baseline instead")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cpu-browser-speed")
    p.add_argument("--floor", action="store_true", help="also time bare Streamlit pages, without and with torch")
    p.add_argument("--settle", type=float, default=0.0, help="seconds between the Samples page done and the Directions click")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    load_before = uptime()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.baseline_dir or export_tree(args.baseline_ref, Path(tmp))
        trees = {"baseline": base, "ganscope": ROOT} | (floor_trees(Path(tmp)) if args.floor else {})
        res: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            for i in range(args.repeats):
                for name, tree in trees.items():
                    r = measure(browser, tree, directions=not name.startswith("floor"), settle_s=args.settle)
                    res[name].append(r)
                    print(f"run {i + 1} {name:24} " + "  ".join(f"{k} {v:.2f}" for k, v in r.items()), flush=True)
            browser.close()
    load_after = uptime()
    keys = ["server_up_s", "cold_start_s", "directions_first_visit_s", "directions_settled_s"]
    med = {n: {k: statistics.median(r[k] for r in rs) for k in keys if k in rs[0]} for n, rs in res.items()}
    baseline_name = str(args.baseline_dir) if args.baseline_dir else f"git {args.baseline_ref}"
    lines = [
        f"browser speed, median of {args.repeats} (Chromium headless, {os.cpu_count()} CPUs, {platform.python_version()})",
        f"baseline: {baseline_name}; ganscope: this tree"
        + (f"; Directions clicked {args.settle:g} s after Samples is done" if args.settle else ""),
        f"load before: {load_before}",
        f"load after:  {load_after}",
        f"{'what':34} {'ganscope':>9} {'baseline':>9} {'speed-up':>9}",
    ]
    for k in keys:
        ours, theirs = med["ganscope"][k], med["baseline"][k]
        lines.append(f"{k:34} {ours:8.2f}s {theirs:8.2f}s {theirs / ours:8.1f}x")
    for name in [n for n in trees if n.startswith("floor")]:
        lines.append(f"{name:34} server_up {med[name]['server_up_s']:.2f}s, first image {med[name]['cold_start_s']:.2f}s")
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    record = {"medians": med, "runs": res, "baseline": baseline_name, "load_before": load_before, "load_after": load_after}
    args.out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
