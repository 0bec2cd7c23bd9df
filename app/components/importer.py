"""Sidebar "Import a generator": an uploaded generator file becomes a run under runs/ (or
GANSCOPE_IMPORT_DIR; when hosted, the visitor's own session folder) through the same importer as
``ganscope-import``, and is picked at once."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import streamlit as st

from .. import hosting, state
from . import uploads

KEY = "import_upload"
MESSAGE = "import_message"


def free_name(root: Path, stem: str) -> str:
    """A run name under ``root`` from a file stem: safe characters, and -2, -3 ... if taken."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-") or "imported"
    name, i = base, 2
    while (root / name).exists():
        name, i = f"{base}-{i}", i + 1
    return name


def import_upload(filename: str, data: bytes) -> tuple[Path | None, str]:
    """Import uploaded bytes; returns (the new run folder or None, a sentence for the user)."""
    from pipelines.importers import Hints, ImportFailed, import_generator  # torch and the formats' readers: on upload

    root = state.import_dir()
    with tempfile.TemporaryDirectory(prefix="ganscope-upload-") as tmp:
        src = Path(tmp) / (Path(filename).name or "upload")
        src.write_bytes(data)
        name = free_name(root, src.stem)
        try:
            run, imp = import_generator(src, root / name, Hints(name=name))
        except ImportFailed as e:
            said = e if not hosting.settings().restricted else f"{e.path.name}: {e.problem}"  # no options to pass here
            return None, f"Cannot import {said}. Nothing was written. {hints_advice()}"
    return run, f"Imported {filename} ({imp.record.family or imp.record.format}) as run {run.name}."


def hints_advice() -> str:
    """What to do with a file that needs hints the uploader cannot take: on a local app, the CLI; a visitor
    of a hosted one has no shell there, so the host is asked."""
    return hosting.for_visitor(
        "For files that need hints (latent size, output range) use `ganscope-import FILE --out runs/NAME` "
        "with --z-dim / --output-range.",
        "Files that need hints (latent size, output range) cannot be imported by upload here: "
        "ask whoever hosts this dashboard to import it with ganscope-import.",
    )


def _on_upload() -> None:
    up = st.session_state.get(KEY)
    if up is None:
        return
    problem = hosting.settings().problem
    if problem:
        st.session_state[MESSAGE] = ("error", problem + " Nothing was written.")
        return
    too_big = hosting.upload_refusal(up.size, up.name)
    if too_big:
        st.session_state[MESSAGE] = ("error", too_big + " Nothing was written.")
        return
    run, message = import_upload(up.name, up.getvalue())
    st.session_state[MESSAGE] = ("success" if run else "error", message)
    if run is not None:  # callbacks run before the widgets: the run picker opens the new run
        st.session_state["run_select"] = str(run)
        st.session_state["typed_run"] = ""


def import_uploader() -> None:
    """Draw the uploader and the outcome of the last upload."""
    uploads.guard(st.sidebar)
    up = st.sidebar.file_uploader(
        "Import a generator",
        key=KEY,
        on_change=_on_upload,
        help="A generator trained elsewhere: a PyTorch state dict (pytorch/examples DCGAN, Make Your Own GAN), "
        "a Keras .h5/.keras model or an ONNX graph. It becomes a run and opens here.",
    )
    kind, text = st.session_state.pop(MESSAGE, (None, None))
    if kind in ("success", "error"):
        box = uploads.outcome(KEY, up.file_id if up is not None else "none", st.sidebar)
        getattr(box, kind)(text)
