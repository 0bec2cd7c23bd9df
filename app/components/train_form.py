"""The Train page's form: a preset (or a run to fork at a step), every switch of its config, and the
command those choices make. Widgets only; the fields, the command and the checks are
``pipelines.train_form``'s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from pipelines import train_form as tf
from pipelines.train_config import TrainConfig


@dataclass(frozen=True)
class FormResult:
    """What the form says: the switches that differ from ``base``, and the first problem with them ("" if none)."""

    base: TrainConfig
    changes: dict[str, Any]
    problem: str = ""


def _widget(field: tf.FormField, key: str, limit_steps: int | None, locked: bool = False):
    """One switch; returns its typed value (ValueError naming the field for text that does not parse).
    ``locked``: shown at the preset's value, not editable."""
    label = field.key.removeprefix("model.")
    if locked:
        st.text_input(label, tf.to_text(field.default), key=f"{key}__locked", disabled=True, help=field.help)
        return field.default
    if key not in st.session_state:  # the preset's value, until the user changes it
        default = field.default
        if field.key == "max_steps" and limit_steps is not None and not 0 < default <= limit_steps:
            default = limit_steps
        st.session_state[key] = default if field.kind in ("bool", "int") or field.choices else tf.to_text(default)
    if field.kind == "bool":
        return st.checkbox(label, key=key, help=field.help)
    if field.choices:
        return st.selectbox(label, field.choices, key=key, help=field.help)
    if field.kind == "int":
        return int(st.number_input(label, step=1, key=key, help=field.help))
    return tf.parse(field, st.text_input(label, key=key, help=field.help))


def switches(base: TrainConfig, prefix: str, limit_steps: int | None = None, locked: tuple[str, ...] = ()) -> FormResult:
    """Every switch of ``base`` in two expanders (training, model), keyed under ``prefix`` (one set of
    values per preset or parent run); the ``locked`` keys stay at the preset's value. Returns what changed
    and whether the result is a valid config."""
    values, problem = {}, ""
    fields = tf.form_fields(base)
    for group, title in (("training", "Training switches"), ("model", f"Model switches ({type(base.model).__name__})")):
        with st.expander(title, expanded=group == "training"):
            cols = st.columns(3)
            for i, field in enumerate(f for f in fields if f.group == group):
                with cols[i % 3]:
                    try:
                        values[field.key] = _widget(field, f"{prefix}__{field.key}", limit_steps, field.key in locked)
                    except ValueError as e:
                        problem = problem or str(e)
    changes = tf.changed(base, values)
    if not problem:
        try:
            tf.apply(base, changes)
        except (ValueError, TypeError) as e:  # the configs' own checks
            problem = str(e)
    return FormResult(base, changes, problem)


def preview(args: list[str]) -> None:
    """The exact command, and its torchrun form for several GPUs."""
    st.markdown("**Command**: the same run from a terminal")
    st.code(tf.shell(args), language="bash", wrap_lines=True)
    gpus = st.number_input("GPUs for the torchrun form", 2, 64, 2, key="train_gpus")
    st.code(tf.torchrun(args, int(gpus)), language="bash", wrap_lines=True)
