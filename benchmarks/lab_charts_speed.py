"""The Lab's loss and divergence charts after a long Play: what one redraw of them costs the server and Chromium
as the log grows, against the charts as they were (every verdict window diagnosed again and drawn as a band of
its own, every log record a point) in the same run.

The log is a real lab's (the ring preset's networks, trained here for ``--iterations``), repeated with its steps
renumbered to reach the longer lengths: the costs depend on the number of records and windows, not their values.
Server: the charts fragment's work (the verdict windows, both figures, their JSON as Streamlit sends it), median
of 5, the second and later redraws (the verdict windows of a growing log are diagnosed once). Chromium: Plotly.react
of both figures into the page that already shows the previous redraw (as Streamlit's chart element does), with
plotly.js from the plotly package, median of 5.

    python -m benchmarks.lab_charts_speed [--iterations 20000]
Writes benchmarks/results/cpu-lab-charts-speed.{txt,json}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import plotly

from app.charts import VERDICT_COLOURS, bands, curves
from app.components import lab_plane
from benchmarks.browser_speed import launch, uptime
from pipelines.lab import views
from pipelines.lab.engine import LabSession, one_thread
from pipelines.lab.settings import LabSettings

ROOT = Path(__file__).resolve().parents[1]
LENGTHS = (3_000, 30_000, 120_000)  # iterations played: 15 s, 2.5 min and 10 min at 200 it/s
TRACED = 5_000  # the last iterations of the real lab, under tracemalloc


def before(logs: dict, divs: dict):
    """The charts as they were before this change (6f1014f's loss_chart and divergence_chart)."""
    windows = views.verdict_windows(logs["run"])
    loss = curves(logs, ("d_loss_real", "d_loss_fake", "g_loss"), 0.3, title="Losses, with the verdict of each window")
    bands(loss, [(w.start, w.end, VERDICT_COLOURS[w.verdict], "") for w in windows])
    loss.update_layout(xaxis_title="iteration")
    div = curves(divs, ("kl", "js"), 0.0, title="KL(real‖fake) and JS between the histograms (0 = same)")
    div.update_layout(xaxis_title="iteration")
    return lab_plane._fixed_margins(loss), lab_plane._fixed_margins(div)


def after(cache: views.VerdictWindows):
    def build(logs: dict, divs: dict):
        return lab_plane.loss_chart(logs, cache(logs["run"])), lab_plane.divergence_chart(divs)

    return build


def stretch(records: list[dict], iterations: int, every: int) -> list[dict]:
    """``records`` (one each ``every`` iterations) repeated, steps renumbered, to cover ``iterations``."""
    n = iterations // every
    return [dict(records[i % len(records)], step=(i + 1) * every) for i in range(n)]


def server_ms(build, logs: dict, divs: dict) -> tuple[float, list[str]]:
    times, out = [], []
    for _ in range(6):
        t0 = time.perf_counter()
        out = [f.to_json() for f in build(logs, divs)]
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times[1:]), out


def chromium_ms(page, figures: list[str]) -> float:
    """Plotly.react of both figures into divs that already hold them (a redraw), median of 5."""
    page.evaluate(f"() => {{ window.figs = [{','.join(figures)}]; }}")
    page.evaluate("() => Promise.all(figs.map((f, i) => Plotly.newPlot('c' + i, f.data, f.layout)))")
    times = [
        page.evaluate(
            "async () => { const t = performance.now();"
            " for (const [i, f] of figs.entries())"
            "   await Plotly.react('c' + i, f.data, {...f.layout, datarevision: Math.random()});"
            " return performance.now() - t; }"
        )
        for _ in range(5)
    ]
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=20_000, help="iterations of the real lab whose log is repeated")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cpu-lab-charts-speed")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    one_thread()
    load_before = uptime()
    lab = LabSession(LabSettings())
    t0 = time.perf_counter()
    while lab.iteration < args.iterations - TRACED:
        lab.iterate()
    trained_s = time.perf_counter() - t0
    tracemalloc.start()  # what the last TRACED iterations added: the log and divergences grow with the Play
    held = tracemalloc.get_traced_memory()[0]
    while lab.iteration < args.iterations:
        lab.iterate()
    grown_kb = (tracemalloc.get_traced_memory()[0] - held) / 1000
    tracemalloc.stop()
    js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        html = Path(tmp) / "charts.html"
        html.write_text(f'<html><body><div id="c0" style="width:700px"></div><div id="c1" style="width:700px"></div>'
                        f'<script src="{js.as_uri()}"></script></body></html>')  # fmt: skip
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(html.as_uri())
        page.wait_for_function("() => window.Plotly !== undefined")
        for n in LENGTHS:
            logs = {"run": stretch(lab.log, n, 10)}
            divs = {"run": stretch(lab.divergences, n, 50)}
            row = {"iterations": n, "records": len(logs["run"]), "windows": len(views.verdict_windows(logs["run"]))}
            for name, build in (("before", before), ("after", after(views.VerdictWindows()))):
                ms, figs = server_ms(build, logs, divs)
                row[name] = {"server_ms": ms, "json_kb": sum(len(f) for f in figs) / 1000, "chromium_ms": chromium_ms(page, figs)}
            rows.append(row)
        browser.close()
    lines = [
        f"the Lab's two charts, one redraw after a long Play (log of a real ring-preset lab of {args.iterations:,} "
        f"iterations, trained here in {trained_s:.0f} s, repeated); before = every window diagnosed and banded, every "
        "record a point; median of 5",
        f"memory the lab held more after its last {TRACED:,} iterations (tracemalloc; the log, the divergences, the "
        f"history's churn): {grown_kb:.0f} kB, so about {grown_kb / TRACED * 200 * 3600 / 1000:.0f} MB per hour of "
        "Play at 200 it/s",
        f"load before: {load_before}",
        f"load after:  {uptime()}",
        "| iterations played | log records / windows | server, before → after | sent, before → after | Chromium redraw, "
        "before → after |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        b, a = r["before"], r["after"]
        lines.append(
            f"| {r['iterations']:,} | {r['records']:,} / {r['windows']} | {b['server_ms']:.0f} → {a['server_ms']:.0f} ms "
            f"({b['server_ms'] / a['server_ms']:.1f}x) | {b['json_kb']:.0f} → {a['json_kb']:.0f} kB | "
            f"{b['chromium_ms']:.0f} → {a['chromium_ms']:.0f} ms ({b['chromium_ms'] / a['chromium_ms']:.1f}x) |"
        )
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    record = {"rows": rows, "iterations_trained": args.iterations, "grown_kb": grown_kb, "traced_iterations": TRACED}
    args.out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
