"""Every page for every shipped run, click to idle, in Chromium on a warm server; and eight browsers at once.

For each tree (this one, and with ``--baseline-ref`` a git ref exported beside it, the two timed alternately
so a change in the machine's load hits both alike) one ``streamlit run app/main.py`` is started and warmed (one
browser walks every page of mnist-dcgan once). Then:

  - walk: for each run (``/?run=NAME``), click each page in the sidebar and time click → idle: the page's
    heading shown, Streamlit's running indicator gone, no stale element left, every image in the main area
    loaded. A table of seconds (runs × pages) is printed;
  - crowd (``--crowd N``, default 8): N browsers at once, each opening Samples, Interpolate, Directions,
    Compare and Diagnostics of mnist-dcgan; the time until all are done, and errors, against one browser alone.

Results go to benchmarks/results/cpu-page-speed.{txt,json} with the machine's load (uptime) before and after:
the machine is shared, so compare the trees within a run, not figures across runs.

``--server-cpus 0-1 --browser-cpus 2-15`` pins every thread of the server to the first set and this script (so
the browsers it starts) to the second: on a machine with more cores, eight visitors on their own machines
against a 2-core server. Without them the eight Chromiums share the server's cores and most of the crowd's
time is theirs (the server's CPU seconds are printed beside it).

    python benchmarks/page_speed.py [--runs ring-8,mnist-dcgan] [--pages Samples,Compare]
        [--baseline-ref REF] [--crowd 8] [--no-walk] [--server-cpus 0-1 --browser-cpus 2-15]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.browser_speed import export_tree, free_port, launch, start_streamlit, stop_server, uptime, wait_healthy  # noqa: E402

# (sidebar label, the page's heading)
PAGES = [
    ("Samples", "Samples"),
    ("Interpolate", "Interpolate"),
    ("Arithmetic", "Latent arithmetic"),
    ("Project a photo", "Project a photo"),
    ("Directions", "Directions"),
    ("Compare", "Compare"),
    ("Training", "Training"),
    ("Diagnostics", "Diagnostics"),
    ("Classic GANs", "Classic GANs"),
    ("Ablation", "MLP ablation"),
    ("Dynamics", "Adversarial dynamics"),
    ("Architecture", "Architecture"),
]
CROWD_PAGES = ["Samples", "Interpolate", "Directions", "Compare", "Diagnostics"]
IDLE = """() => document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') !== 'running'
  && !document.querySelector('[data-testid="stStatusWidget"]')
  && !document.querySelector('[data-stale="true"]')
  && Array.from(document.querySelectorAll('[data-testid="stMain"] img')).every(i => i.complete)"""
TIMEOUT_MS = 180_000


def shipped_runs(only: list[str] | None) -> list[str]:
    names = sorted(p.name for p in (ROOT / "checkpoints").iterdir() if (p / "config.json").is_file())
    return [n for n in names if not only or n in only]


def wait_idle(page, heading: str) -> None:
    """Until ``heading`` is shown and the page is idle (``IDLE``), twice 100 ms apart (a rerun may follow)."""
    page.get_by_role("heading", name=heading).first.wait_for(timeout=TIMEOUT_MS)
    for _ in range(2):
        page.wait_for_function(IDLE, timeout=TIMEOUT_MS, polling=50)
        page.wait_for_timeout(100)
    page.wait_for_function(IDLE, timeout=TIMEOUT_MS, polling=50)


def click_page(page, label: str, heading: str) -> float:
    """Seconds from clicking ``label`` in the sidebar to the page idle (less the 200 ms of the double check)."""
    t0 = time.perf_counter()
    page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()
    wait_idle(page, heading)
    return time.perf_counter() - t0 - 0.2


def errors_on(page) -> int:
    return page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()


def open_run(browser, url: str, run: str):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{url}/?run={run}", timeout=TIMEOUT_MS)
    wait_idle(page, "Samples")
    return page


def walk(browser, url: str, runs: list[str], pages: list[tuple[str, str]]) -> tuple[dict, int]:
    """{run: {page: seconds}} and the number of error boxes seen."""
    out: dict[str, dict[str, float]] = {}
    errors = 0
    for run in runs:
        page = open_run(browser, url, run)
        out[run] = {}
        for label, heading in pages:
            if label == "Samples":  # opened there: go elsewhere first, so Samples is a click like the others
                click_page(page, "Dynamics", "Adversarial dynamics")
            out[run][label] = click_page(page, label, heading)
            errors += errors_on(page)
        page.context.close()
        print(f"  {run:28} " + " ".join(f"{v:5.2f}" for v in out[run].values()), flush=True)
    return out, errors


def one_visitor(url: str) -> tuple[float, int]:
    """A browser of its own opening the crowd's pages of mnist-dcgan: (seconds, error boxes)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        t0 = time.perf_counter()
        page = open_run(browser, url, "mnist-dcgan")
        errors = errors_on(page)
        for label in CROWD_PAGES[1:]:
            click_page(page, label, dict(PAGES)[label])
            errors += errors_on(page)
        took = time.perf_counter() - t0
        browser.close()
    return took, errors


def crowd(url: str, n: int) -> dict:
    """One visitor alone, then ``n`` at once (each in its own browser process)."""
    alone, err1 = one_visitor(url)
    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(n) as pool:
        results = list(pool.map(lambda _: one_visitor(url), range(n)))
    return {
        "alone_s": alone,
        "all_s": time.perf_counter() - t0,
        "each_s": [r[0] for r in results],
        "errors": err1 + sum(r[1] for r in results),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (/proc): what the server spent, whatever the machine's load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_set(text: str) -> set[int]:
    """``"0-1"``, ``"2,4-7"`` → the CPU numbers, as taskset reads them."""
    cpus: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return cpus


def pin(pid: int, cpus: set[int]) -> None:
    """Every thread of process ``pid`` onto ``cpus`` (threads it starts later inherit it)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        os.sched_setaffinity(int(tid), cpus)


SERVER_CPUS: set[int] | None = None  # --server-cpus


def serve(
    tree: Path, extra_env: dict[str, str] | None = None, cpus: set[int] | None = None
) -> tuple[subprocess.Popen, str, tempfile.TemporaryDirectory]:
    """``streamlit run`` of ``tree`` on a free port with an empty cache folder: (process, URL, cache) once healthy,
    its threads pinned to ``cpus`` (default: ``--server-cpus``). End it with ``stop_server(proc, cache)``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cache = tempfile.TemporaryDirectory()
    # no file watcher: an edit to the tree during a run would leave Streamlit's "rerun?" prompt on every page
    env = {"STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none", **(extra_env or {})}
    proc = start_streamlit(tree, port, Path(cache.name), env)
    wait_healthy(url, time.perf_counter() + 180)
    if cpus := cpus or SERVER_CPUS:
        pin(proc.pid, cpus)
    return proc, url, cache


def measure(trees: dict[str, Path], runs: list[str], pages, n_crowd: int, do_walk: bool) -> dict:
    """Every tree served at once (an idle server costs nothing); the walk alternates the trees run by run, so a
    change in the machine's load hits both alike; then each tree's crowd."""
    from playwright.sync_api import sync_playwright

    servers = {name: serve(tree) for name, tree in trees.items()}
    res: dict = {name: {"walk": {}, "walk_errors": 0} for name in trees}
    try:
        with sync_playwright() as pw:
            browser = launch(pw)
            for name, (_, url, _) in servers.items():  # warm: imports, the first model, the first caches
                print(f"{name}: warming", flush=True)
                walk(browser, url, ["mnist-dcgan"], PAGES)
            for run in runs if do_walk else []:
                for name, (proc, url, _) in servers.items():
                    print(f"{name:9}", end="", flush=True)
                    cpu = cpu_seconds(proc.pid)
                    walked, errors = walk(browser, url, [run], pages)
                    res[name]["walk"].update(walked)
                    res[name]["walk_errors"] += errors
                    res[name]["walk_server_cpu_s"] = res[name].get("walk_server_cpu_s", 0.0) + cpu_seconds(proc.pid) - cpu
            browser.close()
        for name, (proc, url, _) in servers.items():
            if n_crowd:
                cpu = cpu_seconds(proc.pid)
                res[name]["crowd"] = crowd(url, n_crowd)
                c = res[name]["crowd"]
                c["server_cpu_s"] = cpu_seconds(proc.pid) - cpu  # one alone and the crowd: 1 + n visitors
                print(
                    f"{name}: crowd of {n_crowd}: {c['all_s']:.1f} s (one alone {c['alone_s']:.1f} s), "
                    f"server CPU {c['server_cpu_s']:.1f} s",
                    flush=True,
                )
        return {name: {k: v for k, v in r.items() if v or k != "walk"} for name, r in res.items()}
    finally:
        for proc, _, cache in servers.values():
            stop_server(proc, cache)


def exported(ref: str, dest: Path) -> Path:
    """git ``ref`` exported under ``dest``, with the checkout's ../shared beside it (the runs' data paths)."""
    dest.mkdir(parents=True)
    tree = export_tree(ref, dest)
    if (ROOT.parent / "shared").is_dir():
        (dest / "shared").symlink_to(ROOT.parent / "shared")
    return tree


def table(walked: dict[str, dict[str, float]]) -> list[str]:
    labels = list(next(iter(walked.values())))
    lines = [f"{'run':28} " + " ".join(f"{lb[:11]:>11}" for lb in labels)]
    for run, row in walked.items():
        lines.append(f"{run:28} " + " ".join(f"{row[lb]:11.2f}" for lb in labels))
    allv = [v for row in walked.values() for v in row.values()]
    worst = max(((v, r, lb) for r, row in walked.items() for lb, v in row.items()))
    lines.append(
        f"median {statistics.median(allv):.2f} s, max {worst[0]:.2f} s ({worst[1]} {worst[2]}), "
        f"{sum(v > 1.0 for v in allv)} of {len(allv)} over 1 s"
    )
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", help="comma-separated run names (default: every shipped run)")
    p.add_argument("--pages", help="comma-separated sidebar labels (default: all twelve)")
    p.add_argument("--baseline-ref", help="also time this git ref (exported with git archive), alternately with this tree")
    p.add_argument("--ref", help="time this git ref (exported) instead of the working tree, which may then change")
    p.add_argument("--crowd", type=int, default=8, help="browsers at once (0: skip)")
    p.add_argument("--no-walk", action="store_true", help="only the crowd")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cpu-page-speed")
    p.add_argument("--server-cpus", type=cpu_set, help="pin the server's threads to these CPUs (e.g. 0-1)")
    p.add_argument("--browser-cpus", type=cpu_set, help="pin this script and its browsers to these CPUs (e.g. 2-15)")
    args = p.parse_args()
    global SERVER_CPUS
    SERVER_CPUS = args.server_cpus
    if args.browser_cpus:
        os.sched_setaffinity(0, args.browser_cpus)
    runs = shipped_runs(args.runs.split(",") if args.runs else None)
    pages = [pg for pg in PAGES if not args.pages or pg[0] in args.pages.split(",")]
    import torch

    load_before = uptime()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"ganscope": exported(args.ref, Path(tmp) / "ours") if args.ref else ROOT}
        if args.baseline_ref:
            trees = {"baseline": exported(args.baseline_ref, Path(tmp) / "base"), **trees}
        res = measure(trees, runs, pages, args.crowd, not args.no_walk)
    load_after = uptime()
    lines = [
        f"page speed, click to idle on a warm server (Chromium headless, 1400x1000, {os.cpu_count()} CPUs, "
        f"python {platform.python_version()}, torch {torch.__version__})",
        f"load before: {load_before}",
        f"load after:  {load_after}",
        *(
            [f"server pinned to CPUs {sorted(args.server_cpus)}, browsers to {sorted(args.browser_cpus or [])}"]
            if args.server_cpus
            else []
        ),
    ]
    for name, r in res.items():
        what = f"git {args.baseline_ref}" if name == "baseline" else f"git {args.ref}" if args.ref else "this tree"
        lines.append(f"== {name} ({what})")
        if "walk" in r:
            lines += table(r["walk"]) + [
                f"error boxes seen: {r['walk_errors']}; server CPU for the walk {r['walk_server_cpu_s']:.1f} s"
            ]
        if "crowd" in r:
            c = r["crowd"]
            lines.append(
                f"{args.crowd} browsers at once: {c['all_s']:.1f} s until all done (one alone: {c['alone_s']:.1f} s), "
                f"errors {c['errors']}"
            )
    if len(res) == 2 and all("crowd" in r for r in res.values()):
        ratio = res["baseline"]["crowd"]["all_s"] / res["ganscope"]["crowd"]["all_s"]
        lines.append(f"crowd speed-up baseline / ganscope: {ratio:.2f}x")
        cpu = res["baseline"]["crowd"]["server_cpu_s"] / res["ganscope"]["crowd"]["server_cpu_s"]
        lines.append(f"crowd server CPU baseline / ganscope: {cpu:.2f}x (load-independent: CPU the server spent)")
    if len(res) == 2 and all("walk" in r for r in res.values()):
        b = [v for row in res["baseline"]["walk"].values() for v in row.values()]
        g = [v for row in res["ganscope"]["walk"].values() for v in row.values()]
        lines.append(f"walk speed-up baseline / ganscope (sum of all clicks): {sum(b) / sum(g):.2f}x")
        cpu = res["baseline"]["walk_server_cpu_s"] / res["ganscope"]["walk_server_cpu_s"]
        lines.append(f"walk server CPU baseline / ganscope: {cpu:.2f}x")
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    record = {
        "results": res,
        "baseline": args.baseline_ref,
        "load_before": load_before,
        "load_after": load_after,
        "torch": torch.__version__,
        "cpus": os.cpu_count(),
        "server_cpus": sorted(args.server_cpus or []),
        "browser_cpus": sorted(args.browser_cpus or []),
    }
    args.out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
