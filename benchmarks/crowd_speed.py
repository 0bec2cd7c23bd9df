"""Eight visitors at once on a warm server, each opening Samples, Interpolate, Directions, Compare and Diagnostics of
mnist-dcgan: as the issue asks (eight Chromiums), and as a class would load the server (each browser on its own
machine), which one 2-core machine cannot hold together with eight browsers.

Visitors of two kinds (``benchmarks/protocol_visitor.py``): a Chromium (``page_speed.one_visitor``: a browser
of its own, clicks in the sidebar, each page idle with its images loaded) and a protocol visitor (the same
script runs and media fetches over Streamlit's websocket, without rendering). Measured in one run, on one server:

  1. each kind alone, with the server's CPU seconds for the visit: the protocol visitor is a fair stand-in only
     if it costs the server what a Chromium visitor does;
  2. eight Chromiums at once (the issue's measure on this machine: the browsers share the server's cores);
  3. one Chromium among seven protocol visitors (the eight start together): what a visitor sees when the other
     seven draw on their own machines; the time until all eight are done, and the Chromium's own time;
  4. eight protocol visitors: the server's time for the crowd's work, with no browser on its cores;
  5. where one Chromium visit's CPU goes, page by page, the browser's against the server's: with the browsers on
     the server's cores, n visits cannot end sooner than n x (both) / CPUs; and the floor under it, a fresh
     Chromium opening a bare Streamlit page with an image and a plotly chart (a second, tiny app).

    python -m benchmarks.crowd_speed [--n 8] [--server-cpus 0-1 --browser-cpus 2-15]
Writes benchmarks/results/cpu-crowd-speed.{txt,json}.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from benchmarks.browser_speed import launch, stop_server, uptime
from benchmarks.page_speed import (
    CROWD_PAGES,
    PAGES,
    click_page,
    cpu_seconds,
    cpu_set,
    one_visitor,
    open_run,
    serve,
    wait_idle,
)
from benchmarks.protocol_visitor import record_assets, visit

ROOT = Path(__file__).resolve().parents[1]
QUERY = "run=mnist-dcgan"


ASSETS: list[str] = []  # what a Chromium visit fetched besides media files (recorded once, warming the server)


def protocol(url: str) -> tuple[float, int]:
    return visit(url, QUERY, CROWD_PAGES[1:], ASSETS)


def warm_and_record(url: str) -> None:
    """One Chromium visit of the crowd's pages (warming the server) recording the assets it fetched."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()

        def go() -> None:
            page.goto(f"{url}/?{QUERY}")
            wait_idle(page, "Samples")
            for label in CROWD_PAGES[1:]:
                click_page(page, label, dict(PAGES)[label])

        ASSETS[:] = record_assets(page, url, go)
        browser.close()


def together(url: str, kinds: list[str]) -> dict:
    """Visitors of the given kinds ("chromium" or "protocol") started at once: seconds each and until all done."""
    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(len(kinds)) as pool:
        results = list(pool.map(lambda k: (one_visitor if k == "chromium" else protocol)(url), kinds))
    return {
        "all_s": time.perf_counter() - t0,
        "each_s": [r[0] for r in results],
        "kinds": kinds,
        "errors": sum(r[1] for r in results),
    }


def machine_busy() -> float:
    """CPU seconds every core of the machine has spent busy so far (/proc/stat: all but idle and iowait)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def browser_cost(proc, url: str) -> dict[str, dict[str, float]]:
    """Where one Chromium visit's CPU goes, step by step: {step: {"server": s, "browser": s}}, the browser's share
    being the machine's busy seconds less the server's (so nothing else may run meanwhile). Chromium's processes
    are not this script's children once closed, so the machine's count is the one that sees them all."""
    from playwright.sync_api import sync_playwright

    out: dict[str, dict[str, float]] = {}
    with sync_playwright() as pw:
        mark = [machine_busy(), cpu_seconds(proc.pid)]

        def note(step: str) -> None:
            busy, server = machine_busy(), cpu_seconds(proc.pid)
            out[step] = {"server": server - mark[1], "browser": busy - mark[0] - (server - mark[1])}
            mark[:] = [busy, server]

        browser = launch(pw)
        note("launch")
        page = open_run(browser, url, "mnist-dcgan")
        note(CROWD_PAGES[0])
        for label in CROWD_PAGES[1:]:
            click_page(page, label, dict(PAGES)[label])
            note(label)
        browser.close()
        note("close")
    return out


FLOOR_APP = """import numpy as np, plotly.graph_objects as go, streamlit as st
st.title("Samples")
st.image(np.zeros((64, 64, 3), np.uint8))
st.plotly_chart(go.Figure(go.Scatter(x=np.arange(101), y=np.arange(101) ** 0.5)).update_layout(height=300))
"""


def floor_cost() -> dict[str, float]:
    """What any Streamlit page with an image and a plotly chart costs a fresh Chromium, launch to close (the
    Streamlit app and plotly.js loaded once, as every first visit loads them): the floor under a visit of ours."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tree:
        (Path(tree) / "app").mkdir()
        (Path(tree) / "app" / "main.py").write_text(FLOOR_APP)
        proc, url, cache = serve(Path(tree))
        try:
            with sync_playwright() as pw:
                busy, server = machine_busy(), cpu_seconds(proc.pid)
                browser = launch(pw)
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.goto(url)
                page.wait_for_selector("[data-testid=stImage] img")
                page.wait_for_selector(".js-plotly-plot .main-svg")
                browser.close()
                server = cpu_seconds(proc.pid) - server
                return {"server": server, "browser": machine_busy() - busy - server}
        finally:
            stop_server(proc, cache)


def with_cpu(proc, fn) -> dict:
    cpu, busy = cpu_seconds(proc.pid), machine_busy()
    out = fn()
    out = out if isinstance(out, dict) else {"all_s": out[0], "errors": out[1]}
    out["server_cpu_s"] = cpu_seconds(proc.pid) - cpu
    out["machine_cpu_s"] = machine_busy() - busy
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=8, help="visitors at once")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cpu-crowd-speed")
    p.add_argument("--server-cpus", type=cpu_set, help="pin the server's threads to these CPUs")
    p.add_argument("--browser-cpus", type=cpu_set, help="pin this script and its browsers to these CPUs")
    args = p.parse_args()
    if args.browser_cpus:
        os.sched_setaffinity(0, args.browser_cpus)
    load_before = uptime()
    proc, url, cache = serve(ROOT, None, args.server_cpus)
    try:
        warm_and_record(url)  # warm: imports, the model, the shared caches
        protocol(url)
        res = {
            "chromium_alone": with_cpu(proc, lambda: one_visitor(url)),
            "protocol_alone": with_cpu(proc, lambda: protocol(url)),
            "chromiums": with_cpu(proc, lambda: together(url, ["chromium"] * args.n)),
            "one_chromium_among_protocol": with_cpu(proc, lambda: together(url, ["chromium"] + ["protocol"] * (args.n - 1))),
            "protocols": with_cpu(proc, lambda: together(url, ["protocol"] * args.n)),
            "one_chromium_cost": browser_cost(proc, url),
        }
    finally:
        stop_server(proc, cache)
    res["floor_cost"] = floor_cost()
    load_after = uptime()
    ca, pa, cs, mix, ps, cost, floor = (res[k] for k in res)
    browser_s = sum(v["browser"] for v in cost.values())
    server_s = sum(v["server"] for v in cost.values())
    n = args.n
    lines = [
        f"crowd speed: {n} visitors at once, each opening {', '.join(CROWD_PAGES)} of mnist-dcgan on a warm server "
        f"({os.cpu_count()} CPUs, python {platform.python_version()})",
        f"load before: {load_before}",
        f"load after:  {load_after}",
        *([f"server pinned to CPUs {sorted(args.server_cpus)}"] if args.server_cpus else []),
        f"one Chromium visitor alone: {ca['all_s']:.1f} s, server CPU {ca['server_cpu_s']:.2f} s",
        "where one Chromium visit's CPU goes (launch to close; the browser's share is the machine's busy time less "
        "the server's): " + ", ".join(f"{k} {v['browser']:.2f} + {v['server']:.2f}" for k, v in cost.items()),
        f"  in all: the browser {browser_s:.1f} s, the server {server_s:.2f} s; so {n} Chromiums on these "
        f"{os.cpu_count()} CPUs need at least {n} x {browser_s + server_s:.1f} / {os.cpu_count()} = "
        f"{n * (browser_s + server_s) / os.cpu_count():.1f} s, and {n * browser_s / os.cpu_count():.1f} s with a "
        "server that cost nothing",
        f"  the floor, any Streamlit page with an image and a plotly chart in a fresh Chromium: the browser "
        f"{floor['browser']:.1f} s, its server {floor['server']:.2f} s ({n} of them on {os.cpu_count()} CPUs: at "
        f"least {n * sum(floor.values()) / os.cpu_count():.1f} s)",
        f"one protocol visitor alone ({len(ASSETS)} assets as Chromium fetched them, then the pages): "
        f"{pa['all_s']:.1f} s, server CPU {pa['server_cpu_s']:.2f} s "
        f"(its server CPU / the Chromium visitor's: {pa['server_cpu_s'] / max(ca['server_cpu_s'], 1e-9):.2f})",
        f"{n} Chromiums at once (browsers on the server's cores): {cs['all_s']:.1f} s until all done, "
        f"server CPU {cs['server_cpu_s']:.1f} s of the machine's {cs['machine_cpu_s']:.1f} s, errors {cs['errors']}",
        f"1 Chromium among {n - 1} protocol visitors: {mix['all_s']:.1f} s until all done, the Chromium "
        f"{mix['each_s'][0]:.1f} s, server CPU {mix['server_cpu_s']:.1f} s, errors {mix['errors']}",
        f"{n} protocol visitors: {ps['all_s']:.1f} s until all done, server CPU {ps['server_cpu_s']:.1f} s, "
        f"errors {ps['errors']}",
        f"ratio {n} Chromiums / 1 Chromium among protocol visitors: {cs['all_s'] / mix['all_s']:.2f}x",
    ]
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    record = {"results": res, "load_before": load_before, "load_after": load_after, "n": n,
              "server_cpus": sorted(args.server_cpus or []), "browser_cpus": sorted(args.browser_cpus or [])}  # fmt: skip
    args.out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
