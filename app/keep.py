"""Pages keep their inputs for the session.

Streamlit drops a widget's value on any rerun in which the widget is not drawn: open Samples with a
grid of 20 from seed 100, visit Interpolate, come back, and the grid was 64 from seed 0 again (and
the address bar, which names what is on screen, lost the values with it). ``keep()`` runs at the
top of every rerun, before any widget is drawn, and writes each page input's value back through
session state: a value written that way stays until its widget is drawn again (Streamlit's own
recipe for widgets across pages). Buttons, uploaders and downloads are never kept (their state
cannot be written), so only the inputs listed here are.
"""

from __future__ import annotations

import streamlit as st

from .link_params import PAGES

# page inputs a link does not carry (the linked ones come from PAGES)
OTHER_INPUTS = (
    "interp_keys", "interp_loop", "interp_seg", "interp_path_mode",
    "arith_pick", "arith_target", "dir_with", "dir_without",
    "cmp_order", "dx_best_metric", "dx_space", "classic_n", "train_smooth", "train_range",
)  # fmt: skip
LATENT_PARTS = ("_mode", "_seed", "_pick", "_class")  # a latent picker's inputs (components/latents.py)


def kept_keys() -> set[str]:
    """The session keys of the inputs kept across pages (the "amounts" sliders and weights go by prefix)."""
    keys = set(OTHER_INPUTS)
    for params in PAGES.values():
        for p in params.values():
            if p.kind == "latent":
                keys.update(p.key + part for part in LATENT_PARTS)
            elif p.kind not in ("amounts", "set"):
                keys.add(p.key)
    return keys


KEPT = frozenset(kept_keys())
PREFIXES = tuple(p.key + "_" for params in PAGES.values() for p in params.values() if p.kind == "amounts") + ("w_",)


def keep() -> None:
    """Before any widget of this rerun: carry every page input's value over (see the module docstring)."""
    s = st.session_state
    for key in list(s.keys()):
        if isinstance(key, str) and (key in KEPT or key.startswith(PREFIXES)):
            s[key] = s[key]
