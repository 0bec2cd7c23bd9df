"""The server's help for a first visit (``app.first_visit``): ``streamlit run app/main.py`` serves the
dashboard as an ``st.App`` that imports the first page's modules as it starts and notes the media files the
browser fetched, so the Samples page can let the browser draw a kept grid before torch is imported."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path

import pytest
from streamlit.web.server.app_discovery import discover_asgi_app

from app import first_visit as fv
from tests.conftest import ROOT


def _serve(path: str, chunks: int = 2, scope_type: str = "http", body: bytes = b"xy") -> list[dict]:
    """One request through ``ImageWatch`` to an app answering ``body`` in ``chunks`` messages; what was sent."""
    sent: list[dict] = []
    step = -(-len(body) // chunks)

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(chunks):
            await send({"type": "http.response.body", "body": body[i * step : (i + 1) * step], "more_body": i < chunks - 1})

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    asyncio.run(fv.ImageWatch(inner)({"type": scope_type, "path": path}, receive, send))
    return sent


@pytest.fixture
def watching(monkeypatch):
    """A server whose ImageWatch notes fetches, before torch is imported."""
    monkeypatch.setattr(fv, "_watching", True)
    monkeypatch.setattr(fv, "torch_imported", lambda: False)


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (8, 8), 200).save(buf, format="PNG")
    return buf.getvalue()


def test_streamlit_run_app_main_serves_the_dashboard_as_an_app():
    found = discover_asgi_app(ROOT / "app" / "main.py")
    assert found.is_asgi_app and found.app_name == "app"
    text = (ROOT / "app" / "main.py").read_text()
    assert '"dashboard.py"' in text and "first_visit.lifespan" in text and "first_visit.ImageWatch" in text
    assert not discover_asgi_app(ROOT / "app" / "dashboard.py").is_asgi_app  # AppTest runs the script itself


def test_a_media_file_is_noted_by_its_bytes_once_its_last_byte_is_sent_and_nothing_else_is(watching):
    sent = _serve("/media/0a1b.png", chunks=3, body=b"a grid of three parts")
    assert len(sent) == 4 and fv.fetched(b"a grid of three parts")
    for path, kind in [
        ("/static/js/index.js", "http"),
        ("/static/media/MaterialSymbols-Rounded.woff2", "http"),  # Streamlit's fonts: not the browser drawing a page
        ("/base/static/media/SourceSansVF-Upright.woff2", "http"),
        ("/_stcore/health", "http"),
        ("/media/ws", "websocket"),
    ]:
        _serve(path, scope_type=kind, body=path.encode())
        assert not fv.fetched(path.encode()), path
    _serve("/some/base/path/media/ffee.png", chunks=1, body=b"behind a proxy")  # behind a proxy's base path
    assert fv.fetched(b"behind a proxy")


def test_the_grid_waits_for_its_own_browser_then_goes_on(watching):
    png = fv.for_this_visit(_png())
    threading.Timer(0.3, lambda: _serve("/media/grid.png", body=png)).start()
    t = time.perf_counter()
    assert fv.let_browser_draw(png, timeout=5) is True
    assert 0.25 < time.perf_counter() - t < 3


def test_another_sessions_fetch_of_the_same_grid_does_not_release_the_wait(watching):
    """Two visitors open the same kept grid: each page's PNG is its own (a random tEXt chunk, pixels the same),
    so the first browser's fetch does not end the second page's wait."""
    from PIL import Image

    mine, theirs = fv.for_this_visit(_png()), fv.for_this_visit(_png())
    assert mine != theirs and mine.startswith(_png()[:-12])
    assert Image.open(__import__("io").BytesIO(mine)).tobytes() == Image.open(__import__("io").BytesIO(_png())).tobytes()
    _serve("/media/theirs.png", body=theirs)
    t = time.perf_counter()
    assert fv.let_browser_draw(mine, timeout=0.3) is False
    assert 0.25 < time.perf_counter() - t < 2
    _serve("/media/mine.png", body=mine)
    assert fv.let_browser_draw(mine, timeout=5) is True


def test_a_browser_that_never_fetches_holds_the_page_back_no_longer_than_the_limit(watching):
    t = time.perf_counter()
    assert fv.let_browser_draw(fv.for_this_visit(_png()), timeout=0.3) is False
    assert 0.25 < time.perf_counter() - t < 2


def test_no_wait_where_nothing_is_watched_or_torch_is_already_imported(monkeypatch):
    monkeypatch.setattr(fv, "_watching", False)  # AppTest, or `streamlit run app/dashboard.py`
    monkeypatch.setattr(fv, "torch_imported", lambda: False)
    t = time.perf_counter()
    assert fv.for_this_visit(_png()) == _png()  # no extra chunk: the browser may keep its cached file
    assert fv.let_browser_draw(_png(), timeout=5) is False
    monkeypatch.setattr(fv, "_watching", True)
    monkeypatch.setattr(fv, "torch_imported", lambda: True)  # a visit after the first: nothing to hold back
    assert fv.for_this_visit(_png()) == _png()
    assert fv.let_browser_draw(_png(), timeout=5) is False
    assert time.perf_counter() - t < 1


def test_warm_imports_finish_even_when_a_module_fails(caplog):
    thread = fv.start_warm_imports()
    assert fv.wait_for_warm_imports(timeout=60)
    thread.join(5)
    with caplog.at_level(logging.WARNING, logger=fv.__name__):
        fv.warm_imports(("app.links", "app.no_such_module"))
    assert fv.wait_for_warm_imports(timeout=0)
    assert "app.no_such_module" in caplog.text
    assert all(Path(ROOT, *m.split(".")).with_suffix(".py").exists() for m in fv.FIRST_PAGE_MODULES)


def test_the_warm_imports_do_not_import_torch():
    """They run while the browser loads: torch's 3 s there would slow the first visit, not speed it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "class NoTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'torchvision'):\n"
        "            f = sys._getframe(1)\n"
        "            while f and f.f_globals.get('__name__', '').startswith(('importlib', '_frozen_importlib')):\n"
        "                f = f.f_back\n"
        "            where = f.f_globals.get('__name__') if f else '?'\n"
        "            raise ImportError(f'torch in the warm imports: {where} (line {f.f_lineno}) imports {name}')\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "from app import first_visit\n"
        "first_visit.warm_imports()\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False" and "warm import" not in out.stderr, out.stderr[-2000:]


def test_the_first_page_draws_no_code_block():
    """A code block makes the browser evaluate Streamlit's syntax highlighter, about 0.57 s of one busy
    task on 2 cores just after the first page is done (a Directions click then waited for it). The
    inspected latent's values are inline code instead, and still shown."""
    import numpy as np
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "dashboard.py"), default_timeout=180).run()
    assert not at.exception and len(at.get("image")) > 0
    assert len(at.code) == 0
    shown = [m.value for m in at.markdown if m.value.startswith("`[")]
    assert len(shown) == 1 and shown[0].endswith(", …]`") and "\n" not in shown[0] and ",  " not in shown[0]  # one line
    first = float(shown[0][2:].split(",")[0])
    from app.render import seed_latents
    from models import load_generator
    from pipelines import runs

    G, _ = load_generator(runs.list_snapshots(ROOT / "checkpoints" / "mnist-dcgan")[-1][0])
    assert first == pytest.approx(float(np.asarray(seed_latents(G, [0], 1.0))[0, 0]), abs=1e-3)
