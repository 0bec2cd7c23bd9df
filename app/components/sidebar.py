"""The shared sidebar: pick a run and a snapshot; show a short card about the run."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from models import CheckpointError
from pipelines import runs

from .. import export, state
from . import latents as lat


def _label(path: Path) -> str:
    try:
        return f"{path.name}  ({path.parent.relative_to(state.ROOT)})"
    except ValueError:
        return str(path)


def run_picker() -> tuple[Path, Path, dict] | None:
    """Draw the run and snapshot pickers; returns (run_dir, snapshot_path, snapshot_meta) or None.

    Stores ``run_dir`` and ``snapshot`` (paths as strings) in ``st.session_state``.
    """
    st.sidebar.header("Run")
    found = state.discover_runs()
    typed = st.sidebar.text_input(
        "…or a run folder path",
        key="typed_run",
        help="Any folder written by ganscope-train (it holds config.json and snapshots/).",
    )
    if typed.strip():
        run_dir = Path(typed.strip()).expanduser()
        if not runs.is_run(run_dir):
            st.sidebar.error(
                f"{run_dir} is not a run folder: it needs config.json and snapshots/. Clear the box to pick a shipped run."
            )
            return None
    elif not found:
        st.sidebar.error(
            "No runs found under checkpoints/ or runs/. Train one with `ganscope-train --preset mnist-dcgan --data-dir PATH`."
        )
        return None
    else:
        names = [str(p) for p in found]
        if st.session_state.get("run_select") not in names:  # first visit: the shipped MNIST DCGAN if present
            st.session_state["run_select"] = next((n for n in names if Path(n).name == "mnist-dcgan"), names[0])
        run_dir = Path(st.sidebar.selectbox("Run", names, format_func=lambda s: _label(Path(s)), key="run_select"))
    try:
        cfg = runs.read_config(run_dir)
        snaps = runs.list_snapshots(run_dir)
    except (runs.RunError, CheckpointError) as e:
        st.sidebar.error(f"Cannot open this run: {e}. Pick another run or retrain it.")
        return None
    if not snaps:
        st.sidebar.error(f"{run_dir} has no snapshots yet: wait for its first epoch or pick another run.")
        return None
    labels = [f"step {m.get('step', '?')} · epoch {m.get('epoch', '?')}" for _, m in snaps]
    choice = st.sidebar.select_slider(
        "Snapshot", options=list(range(len(snaps))), value=len(snaps) - 1, format_func=lambda i: labels[i], key=f"snap_{run_dir}"
    )
    snap_path, meta = snaps[choice]
    st.session_state["run_dir"] = str(run_dir)
    st.session_state["snapshot"] = str(snap_path)
    _batchnorm_choice(run_dir, cfg.model)
    _card(run_dir, cfg, snaps)
    return run_dir, snap_path, meta


BN_LABELS = {"running": "running statistics (eval mode)", "batch": "batch statistics (train mode)"}


def _batchnorm_choice(run_dir: Path, model) -> None:
    """For imported generators with BatchNorm: which statistics to use (the original code may never call eval())."""
    if not getattr(model, "has_batchnorm", False):
        return
    key = state.bn_key(run_dir)
    if st.session_state.get(key) not in BN_LABELS:
        st.session_state[key] = model.batchnorm
    st.sidebar.radio(
        "BatchNorm statistics",
        list(BN_LABELS),
        format_func=BN_LABELS.get,
        key=key,
        help="Running statistics are what eval() uses. pytorch/examples' DCGAN never calls netG.eval(), so its own "
        "sample images use each batch's statistics: pick batch to see what it saw (each image then depends on its batch).",
    )


def _imported_lines(source: dict, model) -> list[str]:
    lines = [
        f"imported from `{source.get('file', '?')}` ({source.get('family', source.get('format', '?'))})",
        f"sha256 {str(source.get('sha256', '?'))[:16]}… · {source.get('layout', '')}",
        "no training log: it was trained elsewhere",
    ]
    if getattr(model, "has_batchnorm", False):
        mode = st.session_state.get(state.bn_key(st.session_state["run_dir"]), model.batchnorm)
        lines.append(f"BatchNorm: {BN_LABELS[mode]}")
    if getattr(model, "runtime", None) == "onnxruntime":
        lines.append(
            "runs in onnxruntime: no gradients or layer activations (Project a photo and Directions by layer unavailable)"
        )
    return lines


def _card(run_dir: Path, cfg, snaps) -> None:
    m = cfg.model
    spec = m.output
    shape = "×".join(str(s) for s in spec.shape)
    last = snaps[-1][1]
    source = runs.read_source(run_dir)
    lines = [
        f"**{run_dir.name}** · preset {cfg.preset} · {type(m).__name__.removesuffix('Config')}",
        f"data: {cfg.dataset} · output: {spec.kind} {shape} in [{spec.value_range[0]:g}, {spec.value_range[1]:g}]",
        f"z: {m.z_dim} ({m.latent_dist}) · classes: {m.num_classes or 'none'}",
    ]
    if source is not None:
        lines += _imported_lines(source, m)
    else:
        lines.append(f"trained: {last.get('epoch', '?')} epochs, {last.get('step', '?')} steps · {len(snaps)} snapshots")
    metrics = runs.read_metrics(run_dir)
    if metrics:
        latest = {k: v for k, v in metrics[-1].items() if k not in ("step", "epoch", "snapshot")}
        lines.append("latest: " + ", ".join(f"{k} {v:.3g}" for k, v in latest.items() if isinstance(v, float)))
    st.sidebar.caption("  \n".join(lines))


def restore_from_png() -> None:
    """Sidebar uploader: a PNG exported by ganscope brings its latent back into the picked latents."""
    up = st.sidebar.file_uploader("Restore a latent from a ganscope PNG", type=["png"], key="restore_png")
    if up is None:
        return
    try:
        prov = export.read_png_provenance(up.getvalue())
    except ValueError as e:
        st.sidebar.error(f"{up.name}: {e}. Drop a PNG exported by ganscope.")
        return
    if not prov or ("z" not in prov and "latents" not in prov):
        st.sidebar.error(f"{up.name} carries no ganscope latent: only PNGs exported by ganscope can be restored.")
        return
    vectors = [prov["z"]] if "z" in prov else prov["latents"]
    base = prov.get("name") or (f"seed {prov['seed']}" if "seed" in prov else Path(up.name).stem)
    names = []
    for i, z in enumerate(vectors):
        name = f"png: {base}" + (f" #{i}" if len(vectors) > 1 else "")
        entry = {
            "name": name,
            "z": [float(v) for v in z],
            "label": prov.get("label"),
            "run": prov.get("run"),
            "snapshot": prov.get("snapshot"),
        }
        if "seed" in prov and len(vectors) == 1:
            entry["seed"] = prov["seed"]
        lat.add(entry)
        names.append(name)
    if len(vectors) == 1:
        lat.send_to("interp_a", lat.store()[-1])
    where = Path(prov["run"]).name if prov.get("run") else "an unknown run"
    st.sidebar.success(
        f"Restored {len(names)} latent(s) from {where} "
        f"({Path(prov.get('snapshot') or '?').name}); pick them as “picked latent” on any page."
    )
