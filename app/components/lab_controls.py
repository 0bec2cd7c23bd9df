"""The Lab's widgets and session state: controls -> ``LabSettings``, the lab (a ``LabRunner``) of this
browser session, the buttons' callbacks, the drawn points, and where a save goes (served: the visitor's
own session folder)."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from app import hosting, state
from pipelines.lab import data
from pipelines.lab.data import EmptyDrawing
from pipelines.lab.engine import LabSession
from pipelines.lab.runfolder import LabRunError, safe_name, save_run
from pipelines.lab.runner import LabRunner
from pipelines.lab.settings import LOSSES, NOISES, OPTIMIZERS, LabSettings

LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3)
MODES = {"2-D lab": 2, "1-D lab (Goodfellow 2014, Fig. 1)": 1}
HOSTED_RATE = float(os.environ.get("GANSCOPE_LAB_MAX_RATE", "100"))  # it/s per lab when served to a class


def _defaults(dim: int) -> LabSettings:
    return LabSettings() if dim == 2 else LabSettings(dataset="gaussian-1d", noise_dim=1, noise="uniform", g_width=32, d_width=32)


def controls(dim: int) -> LabSettings | str:
    """Draw the controls of the 2-D or 1-D lab; the settings they describe, or a sentence saying what is wrong."""
    p = f"lab{dim}_"
    d = _defaults(dim)
    names = data.DATASETS_2D if dim == 2 else data.DATASETS_1D
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        dataset = st.selectbox("Data", names, index=names.index(d.dataset), key=p + "dataset")
        loss = st.selectbox("Loss", list(LOSSES), format_func=LOSSES.get, key=p + "loss")
        r1 = st.number_input("R1 γ", 0.0, 100.0, 0.0, 0.1, key=p + "r1")
    with c2:
        opt_d = st.selectbox("D optimiser", OPTIMIZERS, key=p + "opt_d")
        lr_d = st.select_slider("D learning rate", LRS, value=d.lr_d, key=p + "lr_d")
        d_steps = st.number_input("D steps per iteration", 0, 10, 1, key=p + "d_steps")
    with c3:
        opt_g = st.selectbox("G optimiser", OPTIMIZERS, key=p + "opt_g")
        lr_g = st.select_slider("G learning rate", LRS, value=d.lr_g, key=p + "lr_g")
        g_steps = st.number_input("G steps per iteration", 0, 10, 1, key=p + "g_steps")
    with c4:
        noise_dim = st.radio("Noise dimension", (1, 2), index=d.noise_dim - 1, horizontal=True, key=p + "noise_dim")
        noise = st.radio("Noise", NOISES, index=NOISES.index(d.noise), horizontal=True, key=p + "noise")
        batch = st.select_slider("Batch size", (16, 32, 64, 128, 256, 512), value=d.batch, key=p + "batch")
    with st.expander("Networks and seed (changing these resets the lab)"):
        n1, n2, n3 = st.columns(3)
        g_layers = n1.number_input("G hidden layers", 1, 6, d.g_layers, key=p + "g_layers")
        g_width = n1.number_input("G width", 1, 512, d.g_width, key=p + "g_width")
        d_layers = n2.number_input("D hidden layers", 1, 6, d.d_layers, key=p + "d_layers")
        d_width = n2.number_input("D width", 1, 512, d.d_width, key=p + "d_width")
        seed = n3.number_input("Seed", 0, 2**31 - 1, 0, key=p + "seed")
    try:
        return LabSettings(
            dataset=dataset,
            drawn=tuple(st.session_state.get("lab_drawn", ())),
            noise_dim=int(noise_dim),
            noise=noise,
            g_layers=int(g_layers),
            g_width=int(g_width),
            d_layers=int(d_layers),
            d_width=int(d_width),
            loss=loss,
            r1_gamma=float(r1),
            opt_d=opt_d,
            opt_g=opt_g,
            lr_d=float(lr_d),
            lr_g=float(lr_g),
            d_steps=int(d_steps),
            g_steps=int(g_steps),
            batch=int(batch),
            seed=int(seed),
        )
    except ValueError as e:
        return f"{e}."


def runner(dim: int, settings: LabSettings) -> LabRunner | str:
    """This session's lab for the 2-D or 1-D mode (made on first visit), or a sentence (e.g. an empty drawing)."""
    key = f"lab_runner_{dim}"
    if key not in st.session_state:
        try:
            session = LabSession(settings)
        except EmptyDrawing as e:
            return str(e)
        st.session_state[key] = LabRunner(session, max_rate=HOSTED_RATE if hosting.settings().restricted else None)
    return st.session_state[key]


def reset(dim: int, settings: LabSettings) -> str | None:
    """New networks from ``settings`` (a sentence when they cannot be built)."""
    key = f"lab_runner_{dim}"
    old = st.session_state.pop(key, None)
    if old is not None:
        old.pause()
    made = runner(dim, settings)
    return made if isinstance(made, str) else None


def apply_live(r: LabRunner, settings: LabSettings) -> list[str]:
    """Apply the live settings to the lab; the network fields that differ (they wait for Reset)."""
    pending = r.main.settings.needs_new_networks(settings)
    if not pending and settings != r.main.settings:
        with r.lock:
            r.main.apply(settings)
    return pending


def add_drawn(points) -> None:
    drawn = list(st.session_state.get("lab_drawn", []))
    for x, y in points:
        pt = (round(float(x), 3), round(float(y), 3))
        if pt not in drawn:
            drawn.append(pt)
    st.session_state["lab_drawn"] = drawn


def parse_points(text: str) -> list[tuple[float, float]] | str:
    """ "x, y" per line -> points, or a sentence naming the first bad line."""
    pts = []
    for i, line in enumerate(text.strip().splitlines(), 1):
        if not line.strip():
            continue
        try:
            x, y = (float(v) for v in line.replace(";", ",").split(","))
        except ValueError:
            return f"Line {i} ({line.strip()!r}) is not two numbers 'x, y'."
        pts.append((x, y))
    return pts


def save_root() -> Path:
    """Where "Save as a run" writes: the visitor's own session folder when served, else runs/."""
    return hosting.session_dir() if hosting.settings().restricted else state.import_dir()


def save(r: LabRunner, name: str, fork: bool = False) -> Path | str:
    """Write the lab (or its fork) as a run folder; its path, or a sentence saying why not."""
    target = save_root() / safe_name(name)
    try:
        with r.lock:
            return save_run(r.sessions[-1] if fork else r.main, target)
    except (LabRunError, OSError) as e:
        return f"Could not save: {e}"
