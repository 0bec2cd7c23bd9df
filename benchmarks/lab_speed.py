"""The Lab's speed and memory as the browser sees them (headless Chromium against `streamlit run app/main.py`).

* one session on the ring preset's networks (ReLU MLPs 128-128, batch 256, Adam): iterations per second
  and plane redraws per second, both read in the browser (a 20 ms poll: a redraw is a new picture of the
  plane loaded, the iteration is the one the metrics panel shows beside it);
* four sessions at once (four browser contexts): each one's iterations per second, and any error shown;
* memory: the server's resident memory on a fresh dashboard (Samples, before any chart) and once a chart
  page (Training) has drawn, then after one lab has trained with its history filling, and after four;
* baselines measured in the same run: the first lab's memory on a second server with glibc's default malloc
  arenas (``MALLOC_ARENA_MAX`` = 8 per core, as before ``app/server_memory.py`` capped them at two); the
  engine alone (``LabSession.iterate`` in a loop in this process, one thread, no page), so the ratio says
  what the page costs; and the engine on ``torch.optim.Adam``
  (its optimiser before ``pipelines/lab/optim.py``), so the ratio says what the fused kernels gave.

``--server-cpus 0 --browser-cpus 1`` pins the server's threads and the browsers to separate cores: each
visitor's browser draws on the visitor's own machine, and on 2 cores four headless Chromiums redrawing
five times a second otherwise take the CPU the server trains with. Both ways are recorded.

GAN Lab's own rate is read from its source (src/ganlab.ts): one iteration per requestAnimationFrame
(so at most 60 it/s on a 60 Hz display) and the plane redrawn every VIS_INTERVAL = 50 iterations
(at most 1.2 redraws/s). Its page needs a yarn build (TypeScript + tfjs) we cannot run offline here,
so it is not measured beside ours.

Run: python -m benchmarks.lab_speed [--seconds 15] [--server-cpus 0 --browser-cpus 1].
Writes benchmarks/results/cpu-lab-speed.{json,txt} (``--out`` names another pair).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.browser_speed import launch, stop_server, uptime
from benchmarks.page_speed import cpu_seconds, cpu_set, serve
from pipelines.lab import engine
from pipelines.lab.engine import LabSession
from pipelines.lab.history import MAX_ENTRIES, entry_bytes
from pipelines.lab.optim import BETAS
from pipelines.lab.settings import LabSettings

ROOT = Path(__file__).resolve().parents[1]
POLL = """() => { window.__lab = []; let shown = ''; setInterval(() => {
  const img = document.querySelector('[data-testid="stImage"] img');
  if (!img || !img.complete || !img.naturalWidth || img.src === shown) return;
  shown = img.src;
  const panel = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
    .map(e => /^run · iteration (\\d+)/.exec(e.innerText)).find(m => m);
  if (panel) window.__lab.push([performance.now(), +panel[1]]); }, 20); }"""
# A redraw is a new picture of the plane loaded and shown (lab_raster: the plane is an image while it plays);
# the iteration is the metrics panel's, which the same fragment run writes.


class TorchOptim:
    """The engine's optimiser before pipelines/lab/optim.py: torch.optim's Adam or SGD behind the same face."""

    def __init__(self, kind: str, params, lr: float):
        self.kind = kind
        self.opt = torch.optim.Adam(params, lr=lr, betas=BETAS) if kind == "adam" else torch.optim.SGD(params, lr=lr)

    def zero_grad(self) -> None:
        self.opt.zero_grad(set_to_none=True)

    def step(self) -> None:
        self.opt.step()

    def state_dict(self) -> dict:
        return {"kind": self.kind, **copy.deepcopy(self.opt.state_dict())}


def engine_rate(seconds: float, torch_optim: bool = False) -> float:
    """Iterations per second of the engine alone, in this process (the baseline); on torch.optim if asked."""
    ours = engine.LabOptimizer
    engine.LabOptimizer = TorchOptim if torch_optim else ours
    try:
        return _engine_rate(seconds)
    finally:
        engine.LabOptimizer = ours


def _engine_rate(seconds: float) -> float:
    s = LabSession(LabSettings())
    for _ in range(10):
        s.iterate()
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        s.iterate()
        n += 1
    return n / (time.perf_counter() - t0)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (MB), from /proc."""
    total = 0
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def open_lab(context, url: str):
    page = context.new_page()
    page.set_viewport_size({"width": 1500, "height": 1100})
    page.goto(url + "/lab")
    page.wait_for_selector(".js-plotly-plot", timeout=180_000)
    page.evaluate(POLL)
    return page


def play(page) -> None:
    page.get_by_role("button", name="Play", exact=True).click()
    page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=60_000)


def seen(page, skip_s: float = 2.0) -> dict:
    """Iterations/s and redraws/s from the browser's record of the plane's pictures (after ``skip_s``)."""
    marks = page.evaluate("() => window.__lab")
    if len(marks) < 3:
        return {"its_per_s": 0.0, "redraws_per_s": 0.0, "redraws": len(marks)}
    start = marks[0][0] + skip_s * 1000
    marks = [m for m in marks if m[0] >= start] or marks[-2:]
    dt = (marks[-1][0] - marks[0][0]) / 1000
    return {
        "its_per_s": (marks[-1][1] - marks[0][1]) / max(dt, 1e-9),
        "redraws_per_s": (len(marks) - 1) / max(dt, 1e-9),
        "redraws": len(marks),
    }


def errors(page) -> list[str]:
    texts = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').all_inner_texts()
    return [t[:200] for t in texts]


def dashboard_mb(ctx, url: str, pid: int) -> tuple[float, float]:
    """The server's memory (MB) on a fresh dashboard (Samples: its warm imports done), then once a chart page
    has drawn (plotly, pandas and pyarrow, as any chart's first draw)."""
    home = ctx.new_page()
    home.goto(url)
    home.wait_for_selector("img", timeout=180_000)
    time.sleep(5)
    fresh = rss_mb(pid)
    home.goto(url + "/training")
    home.wait_for_selector(".js-plotly-plot", timeout=180_000)
    time.sleep(3)
    charted = rss_mb(pid)
    home.close()
    return fresh, charted


def first_lab_mb(browser, seconds: float, env: dict[str, str], server_cpus) -> tuple[float, float]:
    """A second server's memory (MB) after a chart page, then after one lab has played ``seconds``."""
    proc, url, cache = serve(ROOT, env, server_cpus)
    try:
        ctx = browser.new_context()
        _, before = dashboard_mb(ctx, url, proc.pid)
        page = open_lab(ctx, url)
        play(page)
        time.sleep(seconds)
        after = rss_mb(proc.pid)
        ctx.close()
        return before, after
    finally:
        stop_server(proc, cache)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=15.0, help="measuring time of each phase")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cpu-lab-speed")
    p.add_argument("--note", default="", help="what else the machine was doing while this ran (recorded as given)")
    p.add_argument("--server-cpus", type=cpu_set, help="pin the server's threads to these CPUs (e.g. 0)")
    p.add_argument("--browser-cpus", type=cpu_set, help="pin this script and its browsers to these CPUs (e.g. 1)")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    load_before = uptime()
    baseline = engine_rate(5.0)
    before = engine_rate(5.0, torch_optim=True)
    if args.browser_cpus:
        os.sched_setaffinity(0, args.browser_cpus)  # the browsers this script starts inherit it
    imports = tempfile.TemporaryDirectory()  # the servers' import folder: nothing written into the checkout
    proc, url, cache = serve(ROOT, {"GANSCOPE_IMPORT_DIR": imports.name}, args.server_cpus)
    try:
        with sync_playwright() as pw:
            browser = launch(pw)
            ctx = browser.new_context()
            fresh_mb, charted_mb = dashboard_mb(ctx, url, proc.pid)
            # One session.
            page = open_lab(ctx, url)
            play(page)
            time.sleep(args.seconds)
            one = seen(page)
            one["errors"] = errors(page)
            lab_mb = rss_mb(proc.pid)
            page.get_by_role("button", name="Pause", exact=True).click()
            ctx.close()
            # Four sessions at once.
            contexts = [browser.new_context() for _ in range(4)]
            pages = [open_lab(c, url) for c in contexts]
            for pg in pages:
                play(pg)
            cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
            time.sleep(args.seconds)
            server_cpu = (cpu_seconds(proc.pid) - cpu0) / (time.perf_counter() - t0)
            four = [{**seen(pg), "errors": errors(pg)} for pg in pages]
            four_mb = rss_mb(proc.pid)
            for c in contexts:
                c.close()
            glibc_default = {"MALLOC_ARENA_MAX": str(8 * (os.cpu_count() or 1))}
            arena_base = first_lab_mb(
                browser, args.seconds, {"GANSCOPE_IMPORT_DIR": imports.name, **glibc_default}, args.server_cpus
            )
            browser.close()
    finally:
        stop_server(proc, cache)
        imports.cleanup()
    s = LabSession(LabSettings())
    s.iterate()  # Adam's moments exist from the first step on
    history_mb = entry_bytes(s.entry()) * MAX_ENTRIES / 2**20
    per_extra_lab = (four_mb - lab_mb) / 3  # three more labs (the first one's session had closed)
    pinned = (
        f"server pinned to CPUs {sorted(args.server_cpus)}, browsers to {sorted(args.browser_cpus or [])}"
        if args.server_cpus
        else "server and browsers share every CPU"
    )
    result = {
        "device": f"cpu ({os.cpu_count()} cores, {platform.processor() or platform.machine()})",
        "torch": torch.__version__,
        "cpus": pinned,
        "baseline_engine_its_per_s": baseline,
        "engine_on_torch_optim_its_per_s": before,
        "one_session": one,
        "ratio_browser_to_engine": one["its_per_s"] / baseline if baseline else None,
        "four_sessions": four,
        "four_sessions_server_cpu_per_s": server_cpu,
        "memory_mb": {
            "fresh_dashboard": fresh_mb,
            "dashboard_after_a_chart_page": charted_mb,
            "after_one_lab": lab_mb,
            "lab_above_dashboard": lab_mb - charted_mb,
            "after_four_labs": four_mb,
            "per_further_lab": per_extra_lab,
            "full_history_ring_preset": history_mb,
            "glibc_default_arenas": {"after_a_chart_page": arena_base[0], "after_one_lab": arena_base[1]},
        },  # fmt: skip
        "ganlab_from_source": {
            "its_per_s_max": 60,
            "redraws_per_s_max": 60 / 50,
            "note": "1 iteration per animation frame, "
            "plane redrawn every 50 iterations (src/ganlab.ts VIS_INTERVAL); not measured here",
        },  # fmt: skip
        "load_before": load_before,
        "load_after": uptime(),
        "note": args.note,
    }
    lines = [
        f"device: {result['device']} · torch {torch.__version__} · {pinned}",
        f"load before: {load_before}",
        f"load after:  {result['load_after']}",
        *([f"note: {args.note}"] if args.note else []),
        f"engine alone (baseline, no page): {baseline:.0f} it/s; on torch.optim.Adam as before: {before:.0f} it/s "
        f"(fused kernels called directly: {baseline / before:.2f}x)",
        f"one session in Chromium: {one['its_per_s']:.0f} it/s, plane redrawn {one['redraws_per_s']:.1f} times/s "
        f"(ratio to the engine alone {result['ratio_browser_to_engine']:.2f}); errors: {len(one['errors'])}",
        "four sessions at once: "
        + ", ".join(f"{f['its_per_s']:.0f} it/s ({f['redraws_per_s']:.1f} redraws/s)" for f in four)
        + f"; server CPU {server_cpu:.2f} s per second; errors: {sum(len(f['errors']) for f in four)}",
        f"memory: fresh dashboard {fresh_mb:.0f} MB, after a chart page {charted_mb:.0f} MB; with one lab "
        f"{lab_mb:.0f} MB (+{lab_mb - charted_mb:.0f} MB), four labs {four_mb:.0f} MB (about {per_extra_lab:.0f} MB "
        f"each further lab); a full history (128 moments, ring preset, Adam) holds {history_mb:.0f} MB",
        f"baseline, a second server with glibc's default malloc arenas: one lab +{arena_base[1] - arena_base[0]:.0f} MB "
        f"(two arenas: {(lab_mb - charted_mb) / max(arena_base[1] - arena_base[0], 1e-9):.2f}x of it)",
        "GAN Lab (from its source, not measured): at most 60 it/s, plane redrawn at most 1.2 times/s",
    ]
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
