"""Screenshots of every dashboard page, for the docs: ``python docs/screenshots.py [--run mnist-dcgan] [--out docs/img]``.

Starts the current app (``python -m streamlit run app/main.py``, headless, on a free localhost port), opens it in
headless Chromium (Debian's ``/usr/bin/chromium`` driven by playwright; no browser is downloaded), reads the page
list from the app's own sidebar navigation (so pages added later are found without editing this file), and saves
one PNG per page into ``--out``, named after the page's URL path (``samples.png`` for the default page). The PNGs
are reduced to a 256-colour palette so each stays a few hundred KB at most.

Most pages are shot on ``--run``; a page that only makes sense on another kind of run is shot on the run named in
``RUN_FOR_PAGE`` below. ``--only interpolate,compare`` shoots a subset.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 900}  # modest, so each image stays small; the sidebar and the page's top show
RUN_FOR_PAGE = {  # URL path -> shipped run that shows the page at its best (every other page: --run)
    "project": "faces-orl",
    "classic": "ring-8",
    "diagnostics": "eights-convergence-failure",
    "ablation": "ablation-adam-leaky-ln",
}
SETTLE_MS = 2000  # after the script stops and the images load: lets plotly and fonts finish drawing
LOADED = "imgs => imgs.every(i => i.complete && i.naturalWidth > 0)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int) -> subprocess.Popen:
    """``streamlit run app/main.py`` from the checkout root, headless, on ``port``."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"), "--server.port", str(port)]
    cmd += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    return subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL)


def wait_healthy(url: str, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the app did not start on {url} within {timeout_s:.0f} s")


def wait_settled(page, timeout_ms: int = 180_000) -> None:
    """Until the script has stopped running and every image in the main area has loaded. A page that never
    settles (one that reruns itself while something trains) is shot as it is after ``timeout_ms``, with a note."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.locator('[data-testid="stMain"]').wait_for(timeout=timeout_ms)
    page.wait_for_timeout(1000)  # the status widget appears a moment after the page connects
    try:
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)
        page.wait_for_function(
            f"() => ({LOADED})(Array.from(document.querySelectorAll('[data-testid=stMain] img')))", timeout=timeout_ms
        )
    except PlaywrightTimeout:
        print(f"  note: {page.url} was still running after {timeout_ms / 1000:.0f} s; shot as it was", file=sys.stderr)
    page.wait_for_timeout(SETTLE_MS)


def nav_pages(page, url: str) -> list[tuple[str, str]]:
    """(URL path, label) of every page in the sidebar navigation, in its order; '' is the default page."""
    more = page.locator('[data-testid="stSidebarNavViewButton"]')
    if more.count() and "more" in more.first.inner_text().lower():
        more.first.click()  # a long navigation is folded after a few entries
        page.wait_for_timeout(500)
    found = []
    for link in page.locator('[data-testid="stSidebarNavLink"]').all():
        href = (link.get_attribute("href") or "").split("?")[0].rstrip("/")
        path = href[len(url) :].strip("/") if href.startswith(url) else href.rsplit("/", 1)[-1]
        label = link.inner_text().strip().splitlines()[-1]  # the text starts with the icon's name
        found.append((path, label))
    if not found:
        raise SystemExit("no navigation links found in the sidebar: has the app's navigation changed?")
    return found


def slug(path: str, label: str) -> str:
    return path or re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "page"


def save_small(png: bytes, dest: Path) -> int:
    """Write ``png`` reduced to a 256-colour palette (screenshots are flat colours: no visible loss)."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    img.save(dest, optimize=True)
    return dest.stat().st_size


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", default="mnist-dcgan", help="the shipped run most pages are shot on")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="folder for the PNGs")
    ap.add_argument("--only", default="", help="comma-separated URL paths or labels to shoot (default: every page)")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_app(port)
    try:
        wait_healthy(url)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"{url}/?run={args.run}", timeout=180_000)
            wait_settled(page)
            pages = nav_pages(page, url)
            wanted = {w.strip().lower() for w in args.only.split(",") if w.strip()}
            for path, label in pages:
                name = slug(path, label)
                if wanted and not wanted & {path.lower(), label.lower(), name}:
                    continue
                run = RUN_FOR_PAGE.get(path, args.run)
                t0 = time.monotonic()
                page.goto(f"{url}/{path}?run={run}", timeout=180_000)
                wait_settled(page)
                size = save_small(page.screenshot(full_page=False), args.out / f"{name}.png")
                print(f"{label:<20} {run:<28} {args.out / f'{name}.png'}  {size / 1024:.0f} KB  {time.monotonic() - t0:.1f} s")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
