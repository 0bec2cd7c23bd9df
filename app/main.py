"""ganscope dashboard entry point: ``streamlit run app/main.py``.

Serves the dashboard's script (``app/dashboard.py``) as an ``st.App`` so the server can help a first
visit (``app.first_visit``): it imports the first page's modules as it starts, and notes which media files
the browser has fetched, so a cold start's first grid is drawn before torch is imported. It also caps
glibc's malloc arenas (``app.server_memory``) before any thread starts.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run app/main.py` puts app/ on the path, not the project root
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from app import first_visit, server_memory  # noqa: E402

server_memory.limit_arenas()  # before any script or Lab trainer thread starts

app = st.App(str(ROOT / "app" / "dashboard.py"), lifespan=first_visit.lifespan, middleware=[Middleware(first_visit.ImageWatch)])
