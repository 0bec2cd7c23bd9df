"""What the server does for a first visit, before and while the browser draws it (no torch here).

``streamlit run app/main.py`` serves the dashboard (``app/dashboard.py``) as an ``st.App`` with two
pieces from this module:

* ``lifespan`` imports the first page's own modules (torch-free: sidebar, links, the grid cache) in a
  thread as soon as the server starts, while the browser is still loading Streamlit's JavaScript, so the
  first script run does not spend its first half second compiling them. ``dashboard.py`` waits for that
  thread before its own imports (``wait_for_warm_imports``), so no module is imported by two threads at once.
* ``ImageWatch`` notes which media files the browser has fetched, by the sha256 of their bytes, until torch
  is imported. The Samples page, having drawn a grid kept on disk, lets the browser fetch and draw it before
  it imports torch (``let_browser_draw``): on 2 cores the 3 s of ``import torch`` slowed the browser's
  drawing of the page by about a second. The page first makes its PNG unique to this visit (``for_this_visit``
  adds a tEXt chunk with a random token), so it waits for its own browser's fetch, never another session's.

Both only change when things happen, never what is shown; where the app is run without them (AppTest,
``streamlit run app/dashboard.py``) ``let_browser_draw`` returns at once.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import secrets
import struct
import sys
import threading
import zlib
from collections import OrderedDict
from contextlib import asynccontextmanager

# The torch-free modules of the first page (sidebar, links and the Samples page up to its grid).
FIRST_PAGE_MODULES = (
    "app.links",
    "pipelines.grid_cache",
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
_fetched: OrderedDict[str, None] = OrderedDict()  # sha256 of the media files fetched before torch was imported
_fetched_changed = threading.Condition()
MAX_NOTED = 64  # the newest fetches kept (only cold starts note any)


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


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetched(data: bytes) -> bool:
    """Whether a browser has fetched a media file of exactly these bytes (noted before torch was imported)."""
    with _fetched_changed:
        return digest(data) in _fetched


def note_fetched(sha256: str) -> None:
    with _fetched_changed:
        _fetched[sha256] = None
        while len(_fetched) > MAX_NOTED:
            _fetched.popitem(last=False)
        _fetched_changed.notify_all()


def for_this_visit(png: bytes) -> bytes:
    """``png`` with a tEXt chunk holding a random token (before IEND; pixels untouched), so its media file is
    this visit's own; ``png`` itself where nothing is watched (AppTest, or torch already imported)."""
    if not _watching or torch_imported() or not png.endswith(b"IEND\xaeB`\x82"):
        return png
    text = b"ganscope-visit\x00" + secrets.token_hex(8).encode()
    chunk = struct.pack(">I", len(text)) + b"tEXt" + text + struct.pack(">I", zlib.crc32(b"tEXt" + text))
    return png[:-12] + chunk + png[-12:]


def is_media_file(path: str) -> bool:
    """A file of Streamlit's media store (``[base]/media/ID.png``: images, downloads), not its fonts
    (``[base]/static/media/…``)."""
    head, sep, _ = path.rpartition("/media/")
    return bool(sep) and not head.endswith("/static")


class ImageWatch:
    """ASGI middleware: notes the sha256 of each media file (``…/media/…``) once its last byte is sent, until
    torch is imported (after that no page waits, so nothing is hashed)."""

    def __init__(self, app) -> None:
        global _watching
        self.app = app
        _watching = True

    async def __call__(self, scope, receive, send) -> None:
        if scope.get("type") != "http" or not is_media_file(scope.get("path", "")) or torch_imported():
            await self.app(scope, receive, send)
            return
        body = hashlib.sha256()

        async def send_and_note(message) -> None:
            await send(message)
            if message.get("type") == "http.response.body":
                body.update(message.get("body", b""))
                if not message.get("more_body", False):
                    note_fetched(body.hexdigest())

        await self.app(scope, receive, send_and_note)


def torch_imported() -> bool:
    return "torch" in sys.modules


def let_browser_draw(png: bytes, timeout: float = DRAW_WAIT_S) -> bool:
    """Before a cold start imports torch: wait until the browser has fetched the media file of ``png`` (the
    bytes the page gave ``st.image``, made this visit's own by ``for_this_visit``), at most ``timeout``
    seconds. Returns at once where torch is already imported or no ``ImageWatch`` notes fetches. True if
    it was fetched."""
    if not _watching or torch_imported():
        return False
    key = digest(png)
    with _fetched_changed:
        return _fetched_changed.wait_for(lambda: key in _fetched, timeout)
