"""What the server does for a first visit, before and while the browser draws it (no torch here).

``streamlit run app/main.py`` serves the dashboard (``app/dashboard.py``) as an ``st.App`` with two
pieces from this module:

* ``lifespan`` imports the first page's own modules (torch-free: sidebar, links, the grid cache) in a
  thread as soon as the server starts, while the browser is still loading Streamlit's JavaScript, so the
  first script run does not spend its first half second compiling them. ``dashboard.py`` waits for that
  thread before its own imports (``wait_for_warm_imports``), so no module is imported by two threads at once.
* ``ImageWatch`` counts the images the browser has fetched. The Samples page, having drawn a grid kept on
  disk, lets the browser fetch and draw it before it imports torch (``let_browser_draw``): on 2 cores the
  3 s of ``import torch`` slowed the browser's drawing of the page by about a second.

Both only change when things happen, never what is shown; where the app is run without them (AppTest,
``streamlit run app/dashboard.py``) ``let_browser_draw`` returns at once.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from contextlib import asynccontextmanager

# The torch-free modules of the first page (sidebar, links and the Samples page up to its grid).
FIRST_PAGE_MODULES = (
    "app.links",
    "app.grid_cache",
    "app.state",
    "app.components.importer",
    "app.components.samples_view",
    "app.components.sidebar",
    "app.components.latents",
    "app.components.export_buttons",
)
WARM_WAIT_S = 10.0  # the most a script run waits for the warm imports (they take about half a second)
DRAW_WAIT_S = 2.5  # the most the Samples page holds torch back for the browser to fetch its grid

log = logging.getLogger(__name__)
_warm = threading.Event()
_warm.set()  # nothing to wait for unless the server started the warm imports
_watching = False  # whether ImageWatch sees this server's requests
_served = 0
_served_changed = threading.Condition()


def warm_imports(modules: tuple[str, ...] = FIRST_PAGE_MODULES) -> None:
    """Import ``modules`` (a failure is left for the page to report with its own message)."""
    try:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the script run imports it again and shows what is wrong
                log.warning("warm import of %s failed", name, exc_info=True)
    finally:
        _warm.set()


def start_warm_imports() -> threading.Thread:
    """Import the first page's modules in a daemon thread; script runs wait for it."""
    _warm.clear()
    thread = threading.Thread(target=warm_imports, name="ganscope-warm-imports", daemon=True)
    thread.start()
    return thread


def wait_for_warm_imports(timeout: float = WARM_WAIT_S) -> bool:
    """Until the warm imports are done (at once where none were started); False if ``timeout`` passed."""
    return _warm.wait(timeout)


@asynccontextmanager
async def lifespan(_app):
    """The ``st.App`` lifespan: start the warm imports as the server starts."""
    start_warm_imports()
    yield


def images_served() -> int:
    """How many media files (images) the browser has fetched from this server so far."""
    return _served


def note_image_served() -> None:
    global _served
    with _served_changed:
        _served += 1
        _served_changed.notify_all()


def is_media_file(path: str) -> bool:
    """A file of Streamlit's media store (``[base]/media/ID.png``: images, downloads), not its fonts
    (``[base]/static/media/…``)."""
    head, sep, _ = path.rpartition("/media/")
    return bool(sep) and not head.endswith("/static")


class ImageWatch:
    """ASGI middleware: counts each media file (``…/media/…``) once its last byte is sent."""

    def __init__(self, app) -> None:
        global _watching
        self.app = app
        _watching = True

    async def __call__(self, scope, receive, send) -> None:
        if scope.get("type") != "http" or not is_media_file(scope.get("path", "")):
            await self.app(scope, receive, send)
            return

        async def send_and_count(message) -> None:
            await send(message)
            if message.get("type") == "http.response.body" and not message.get("more_body", False):
                note_image_served()

        await self.app(scope, receive, send_and_count)


def torch_imported() -> bool:
    return "torch" in sys.modules


def let_browser_draw(since: int, timeout: float = DRAW_WAIT_S) -> bool:
    """Before a cold start imports torch: wait until the browser has fetched an image after ``since``
    (``images_served()`` taken before the image was sent), at most ``timeout`` seconds. Returns at once
    where torch is already imported or no ``ImageWatch`` counts. True if an image was fetched."""
    if not _watching or torch_imported():
        return False
    with _served_changed:
        return _served_changed.wait_for(lambda: _served > since, timeout)
