"""A visitor without a browser: Streamlit's own websocket protocol, to load a server as visitors on their own
machines would, on a machine too small to run their browsers too.

A Chromium visitor costs the server what its requests ask for: the app's HTML, scripts, styles and fonts
(``assets``: the paths a real Chromium visit fetched, recorded by ``record_assets``), a script run per page
(``BackMsg.rerun_script`` with the page's hash and the address's query string) and a GET of every media file
the page sends (grids, pictures). ``visit`` does exactly that over the same routes, with no rendering, so its
own CPU is a few milliseconds a page and the server's work is the browser visitor's. What it does not send:
the widget values a browser would echo back (every page starts from its defaults, as on a first visit).

A page is done when its script run finishes (``script_finished``: FINISHED_SUCCESSFULLY) and every media file it
named has been fetched; an error box (``st.exception`` or ``st.error``) on the way counts as an error.
"""

from __future__ import annotations

import re
import time
import urllib.request
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

MEDIA = re.compile(rb"/media/[0-9a-f]{16,}\.[a-z0-9]{2,5}")
DONE = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY


class ProtocolVisitor:
    """One session on a running server: ``open(query)`` the app, then ``page(name)`` for each page."""

    def __init__(self, url: str, timeout: float = 120.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        parts = urlsplit(self.url)
        stream = f"ws://{parts.netloc}{parts.path}/_stcore/stream"
        # entered by hand (closed in close()): websockets >= 17.1 warns about a connection not used with `with`
        self.ws = connect(stream, subprotocols=["streamlit"], max_size=None).__enter__()
        self.pages: dict[str, str] = {}  # page name and address path → script hash
        self.query = ""
        self.errors = 0
        self.fetched = 0

    def _rerun(self, page_hash: str = "") -> None:
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_script_hash = page_hash
        self.ws.send(msg.SerializeToString())

    def _until_finished(self) -> None:
        """Read messages until the script run finishes; fetch each media file named on the way."""
        deadline = time.perf_counter() + self.timeout
        media: set[bytes] = set()
        while True:
            raw = self.ws.recv(timeout=max(deadline - time.perf_counter(), 0.1))
            media.update(MEDIA.findall(raw))
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind in ("new_session", "navigation"):
                body = fm.new_session if kind == "new_session" else fm.navigation
                for p in body.app_pages:
                    self.pages[p.page_name] = self.pages[p.url_pathname] = p.page_script_hash
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                if el.WhichOneof("type") == "exception" or (el.WhichOneof("type") == "alert" and el.alert.format == 1):
                    self.errors += 1
            elif kind == "script_finished" and fm.script_finished == DONE:
                break
        for path in media:
            self.get(path.decode())
            self.fetched += 1

    def get(self, path: str) -> None:
        with urllib.request.urlopen(self.url + path, timeout=self.timeout) as r:
            r.read()

    def open(self, query: str = "", assets: list[str] = ()) -> None:
        """The first page, as a browser opening ``URL/?query``: its assets, then the script run."""
        for path in assets:
            self.get(path)
        self.query = query
        self._rerun()
        self._until_finished()

    def page(self, name: str) -> None:
        """Another page, as a click in the sidebar (the address keeps its query string)."""
        if name not in self.pages:
            raise KeyError(f"no page {name!r}; the app has {sorted(self.pages)}")
        self._rerun(self.pages[name])
        self._until_finished()

    def close(self) -> None:
        self.ws.close()


def record_assets(page, url: str, go) -> list[str]:
    """The paths (with query) of the HTML, scripts, styles, fonts and icons a Chromium ``page`` fetches from
    ``url`` while ``go()`` runs (media files, the websocket and health checks left out: the visit asks for those)."""
    seen: list[str] = []

    def note(request) -> None:
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if request.url.startswith(url) and not re.match(r"/(media/|_stcore/(stream|health|host-config))", parts.path):
            seen.append(path)

    page.on("request", note)
    go()
    page.remove_listener("request", note)
    return list(dict.fromkeys(seen))


def visit(url: str, query: str, pages: list[str], assets: list[str] = ()) -> tuple[float, int]:
    """Open ``url/?query`` (fetching ``assets`` first) and then each of ``pages`` in turn: (seconds, error boxes)."""
    t0 = time.perf_counter()
    v = ProtocolVisitor(url)
    try:
        v.open(query, assets)
        for name in pages:
            v.page(name)
    finally:
        v.close()
    return time.perf_counter() - t0, v.errors
