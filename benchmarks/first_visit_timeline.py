"""Where a cold start's seconds go: one clock for the server launch, the browser's requests, the
websocket and the first grid, printed as a timeline (for finding what to speed up; the figures to
compare trees are ``browser_speed.py``'s).

For each run: launch ``streamlit run TREE/app/main.py`` (fresh process, empty GANSCOPE_CACHE), open it
in headless Chromium with an init script that notes, on the browser's clock, when the websocket opens,
each message it receives, when the first image appears in the main area and when it has loaded; then
print those with the server's start, its health check and every request the browser made (resource
timing), in seconds since launch. A tree whose code appends ``"<unix time> <label>"`` lines to the file
named by the ``TL`` environment variable gets those lines on the same timeline (the measurements behind
the cold-start design in docs/speed.md came from trees instrumented that way).

    python benchmarks/first_visit_timeline.py [--tree DIR] [--runs 3] [--all-requests]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from browser_speed import CHROMIUM, free_port, start_streamlit, wait_healthy  # noqa: E402 - a script beside this one

ROOT = Path(__file__).resolve().parents[1]
NOTE_BROWSER_EVENTS = """
window.__tl = [];
const now = () => performance.timeOrigin + performance.now();
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new Native(...args);
  ws.addEventListener('open', () => window.__tl.push([now(), 'websocket open']));
  ws.addEventListener('message', e => window.__tl.push([now(), 'message ' + (e.data.byteLength || e.data.size || 0) + ' B']));
  return ws;
};
window.WebSocket.prototype = Native.prototype;
Object.assign(window.WebSocket, Native);
let shown = false, loaded = false;
function poll() {
  const imgs = [...document.querySelectorAll('[data-testid="stMain"] img')];
  if (!shown && imgs.length) { shown = true; window.__tl.push([now(), 'first image element']); }
  if (!loaded && imgs.length && imgs.every(i => i.complete && i.naturalWidth > 0)) {
    loaded = true; window.__tl.push([now(), 'FIRST GRID LOADED']);
  }
  if (!loaded) requestAnimationFrame(poll);
}
requestAnimationFrame(poll);
"""


def one_run(browser, tree: Path, all_requests: bool) -> list[tuple[float, str]]:
    port, trace = free_port(), Path(tempfile.mktemp(prefix="ganscope-tl-"))
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.time()
        proc = start_streamlit(tree, port, Path(cache), {"TL": str(trace)})
        try:
            wait_healthy(url, time.perf_counter() + 180)
            events = [(time.time(), "server healthy")]
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_init_script(NOTE_BROWSER_EVENTS)
            page = context.new_page()
            events.append((time.time(), "browser: open the page"))
            page.goto(url, timeout=180_000)
            page.wait_for_function("() => window.__tl.some(e => e[1] == 'FIRST GRID LOADED')", timeout=180_000)
            events += [(ms / 1000, what) for ms, what in page.evaluate("window.__tl")]
            requests = page.evaluate(
                "performance.getEntriesByType('resource').map(r => [performance.timeOrigin + r.startTime, r.name])"
            )
            for ms, name in requests:
                if all_requests or "/media/" in name and "/static/" not in name or name.endswith(".js") and "index." in name:
                    events.append((ms / 1000, "request " + name.split("/", 3)[-1][:60]))
            context.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        if trace.exists():
            for line in trace.read_text().splitlines():
                stamp, _, label = line.partition(" ")
                events.append((float(stamp), "server: " + label))
            trace.unlink()
    return sorted((t - t0, what) for t, what in events)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tree", type=Path, default=ROOT)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--all-requests", action="store_true", help="every request, not only the page's script and images")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        for i in range(args.runs):
            print(f"--- run {i + 1} ({args.tree})")
            for t, what in one_run(browser, args.tree, args.all_requests):
                if not what.startswith("message") or args.all_requests:
                    print(f"{t:6.2f} s  {what}")
        browser.close()


if __name__ == "__main__":
    main()
