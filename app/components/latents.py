"""Latents kept in session state and the widgets that pick and send them between pages.

An entry is a ``PickedLatent``: its name, the vector, the class it was drawn with, and where it came
from (run, snapshot, and the seed and ψ when it has one). Pages never keep models in state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

if TYPE_CHECKING:  # torch comes with the generator that makes a latent; the sidebar draws without it
    import torch

SET_NAMES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class PickedLatent:
    """One latent a user picked, kept in session state and sent between pages.

    Args:
        name: what the pickers show ("seed 3", "photo face.jpg", "result A - B + C"); unique in the store.
        z: the vector, as plain floats.
        label: the class it was drawn with, None for an unconditional run.
        seed: the seed it came from (None for a vector made otherwise); links carry it.
        psi: the truncation it was drawn with (1 = none).
        run, snapshot: where it was made.
    """

    name: str
    z: tuple[float, ...]
    label: int | None = None
    seed: int | None = None
    psi: float = 1.0
    run: str | None = None
    snapshot: str | None = None


def store() -> list[PickedLatent]:
    """Picked latents, in the order they were picked."""
    return st.session_state.setdefault("latents", [])


def concept_sets() -> dict[str, list[PickedLatent]]:
    return st.session_state.setdefault("concept_sets", {k: [] for k in SET_NAMES})


def entry_from_seed(G, seed: int, psi: float = 1.0, label: int | None = None) -> PickedLatent:
    from models.latent import seed_latents

    z = seed_latents(G, [int(seed)], psi)[0]
    name = f"seed {seed}" + (f" ψ={psi:g}" if psi != 1.0 else "") + (f" class {label}" if label is not None else "")
    return entry_from_vector(name, z.numpy(), label, seed=int(seed), psi=psi)


def entry_from_vector(name: str, z, label: int | None = None, seed: int | None = None, psi: float = 1.0) -> PickedLatent:
    """A latent of the open run and snapshot."""
    s = st.session_state
    vector = tuple(float(v) for v in np.asarray(z).ravel())
    return PickedLatent(name, vector, label, seed, psi, s.get("run_dir"), s.get("snapshot"))


def add(entry: PickedLatent) -> None:
    """Add an entry to the picked latents (replacing one of the same name)."""
    items = [e for e in store() if e.name != entry.name]
    items.append(entry)
    st.session_state["latents"] = items


def usable(G) -> list[PickedLatent]:
    """Picked latents that fit this generator's latent size."""
    return [e for e in store() if len(e.z) == G.z_dim]


def tensor(entry: PickedLatent) -> torch.Tensor:
    import torch

    return torch.tensor(entry.z, dtype=torch.float32)


def send_to(key: str, entry: PickedLatent) -> None:
    """Make ``entry`` the current choice of the latent picker ``key`` (on whatever page it lives)."""
    add(entry)
    st.session_state[f"{key}_mode"] = "picked"
    st.session_state[f"{key}_pick"] = entry.name


def class_names(n: int) -> list[str]:
    """Names of a conditional run's classes: the dataset's (digits, garments) when the open run says which."""
    from pipelines import runs
    from pipelines.data import FASHION_CLASSES, MNIST_CLASSES

    try:
        dataset = runs.read_config(st.session_state.get("run_dir") or "").dataset
    except runs.RunError:
        dataset = ""
    known = {"mnist": MNIST_CLASSES, "fashion-mnist": FASHION_CLASSES}.get(dataset, ())
    return [known[i] if i < len(known) else str(i) for i in range(n)]


def class_input(G, key: str, default: int | None = 0, label: str = "Class", where=st) -> int | None:
    """The class to draw for a class-conditional generator (None, and no widget, for unconditional ones).

    ``default`` is used when the widget has no value yet (e.g. the class a picked latent was made with).
    """
    if not G.num_classes:
        return None
    names = class_names(G.num_classes)
    if st.session_state.get(key) not in range(G.num_classes):
        st.session_state[key] = default if default in range(G.num_classes) else 0
    return int(where.selectbox(label, range(G.num_classes), key=key, format_func=lambda i: f"{i}: {names[i]}"))


def latent_input(G, label: str, key: str, default_seed: int = 0, with_class: bool = True) -> PickedLatent:
    """Pick one latent: by seed, or from the picked latents (including those sent from other pages).

    For a class-conditional generator a class picker comes with it, in both modes (a picked latent starts
    at the class it was made with); the returned entry carries the class as ``label``."""
    picked = usable(G)
    options = ["seed", "picked"] if picked else ["seed"]
    if st.session_state.get(f"{key}_mode") not in options:
        st.session_state[f"{key}_mode"] = "seed"
    mode = st.radio(
        label, options, horizontal=True, key=f"{key}_mode", format_func={"seed": "by seed", "picked": "picked latent"}.get
    )
    if mode == "picked":
        names = [e.name for e in picked]
        if st.session_state.get(f"{key}_pick") not in names:
            st.session_state[f"{key}_pick"] = names[-1]
        name = st.selectbox("latent", names, key=f"{key}_pick", label_visibility="collapsed")
        entry = picked[names.index(name)]
        if G.num_classes and with_class:
            if st.session_state.get(f"{key}_class_of") != name:  # a newly picked latent: start at its own class
                st.session_state[f"{key}_class_of"] = name
                st.session_state.pop(f"{key}_class", None)
            entry = replace(entry, label=class_input(G, f"{key}_class", entry.label))
        return entry
    st.session_state.setdefault(f"{key}_seed", default_seed)
    seed = st.number_input("seed", 0, 2**31 - 1, key=f"{key}_seed", label_visibility="collapsed")
    return entry_from_seed(G, int(seed), label=class_input(G, f"{key}_class") if with_class else None)


def _to_set(entry: PickedLatent, key: str) -> None:
    target = st.session_state[f"{key}_set"]
    members = concept_sets()[target]
    if all(m.name != entry.name for m in members):
        members.append(entry)
    add(entry)
    st.toast(f"{entry.name} added to set {target}")


def send_buttons(entry: PickedLatent, key: str) -> None:
    """Buttons that send a latent to the other pages, in a row that wraps: in a narrow column (Directions)
    fixed columns cut their labels to "Us… Us… Ad…", and start and end could not be told apart."""
    row = st.container(horizontal=True, wrap=True, gap="small")
    row.button("Use as interpolation start", key=f"{key}_a", on_click=send_to, args=("interp_a", entry))
    row.button("Use as interpolation end", key=f"{key}_b", on_click=send_to, args=("interp_b", entry))
    row.button("Add to concept set", key=f"{key}_add", on_click=_to_set, args=(entry, key))
    row.selectbox("concept set", SET_NAMES, key=f"{key}_set", label_visibility="collapsed", width=110)
