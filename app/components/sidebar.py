"""The shared sidebar: pick a run and a snapshot; show a short card about the run."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from models import CheckpointError
from pipelines import live, runs
from pipelines import metrics as registry
from pipelines.data import user_path
from pipelines.presets import TrainConfig

from .. import export, hosting, links, state
from . import latents as lat
from . import uploads


def _refuse(message: str) -> None:
    """Say why no run is open, and forget the last one, so no page goes on showing its data."""
    st.sidebar.error(message)
    for key in ("run_dir", "snapshot"):
        st.session_state.pop(key, None)
    st.session_state["run_problem"] = message


def _forget_link_problem() -> None:
    """The user picked or typed a run: a link's unopenable run no longer holds the sidebar."""
    st.session_state.pop(links.PROBLEM, None)
    st.session_state.pop(links.AWAITED, None)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name longer than the system allows
        return False


def close_run(typed: str, found: list[Path]) -> str | None:
    """The run in the roots whose path (or, failing that, name) is closest to a mistyped one (difflib), or None."""
    import difflib

    paths = [str(p) for p in found]
    near = difflib.get_close_matches(typed, paths, n=1, cutoff=0.8)
    if near:
        return near[0]
    by_name = difflib.get_close_matches(Path(typed).name, [p.name for p in found], n=1, cutoff=0.7)
    return next((str(p) for p in found if by_name and p.name == by_name[0]), None)


def _choose_run(found: list[Path]) -> Path | None:
    """The run folder the user picked or typed (None when nothing can be picked); may refuse."""
    problem = hosting.settings().problem
    if problem:  # the host's settings cannot be read: nothing is shared, not even a visitor's own import
        return _refuse(problem)
    links.retry_awaited()
    typed = ""
    if hosting.path_box_shown():
        typed = st.sidebar.text_input(
            "…or a run folder path",
            key="typed_run",
            on_change=_forget_link_problem,
            help="Any folder written by ganscope-train (it holds config.json and snapshots/).",
        )
    if typed.strip():
        run_dir = user_path(typed.strip())
        if not run_dir.is_absolute() and runs.is_run(state.ROOT / run_dir):  # runs/NAME, as links and the trainer say
            run_dir = state.ROOT / run_dir
        refused = hosting.refusal(run_dir, str(run_dir))
        if refused:
            return _refuse(refused)
        if not _exists(run_dir):
            near = close_run(str(run_dir), found)
            hint = f" Did you mean {near}?" if near else ""
            return _refuse(f"{run_dir} does not exist.{hint} Clear the box to pick a shipped run.")
        if not runs.is_run(run_dir):
            return _refuse(
                f"{run_dir} is not a run folder: it needs config.json and snapshots/. Clear the box to pick a shipped run."
            )
        return run_dir
    if not found:
        return _refuse(
            hosting.for_visitor(
                "No runs found under checkpoints/ or runs/. "
                "Train one with `ganscope-train --preset mnist-dcgan --data-dir PATH`.",
                "No runs in the folders this dashboard shares yet.",
            )
        )
    names = [str(p) for p in found]
    if st.session_state.get("run_select") not in names:  # first visit: the shipped MNIST DCGAN if present
        st.session_state["run_select"] = next((n for n in names if Path(n).name == "mnist-dcgan"), names[0])
    run_dir = Path(
        st.sidebar.selectbox("Run", names, format_func=state.run_label, key="run_select", on_change=_forget_link_problem)
    )
    if st.session_state.get(links.PROBLEM):  # a link to a run that cannot be opened: say so until another is picked
        awaited = st.session_state.get(links.AWAITED)
        if awaited:  # a run about to be written there: open it as soon as it has a snapshot
            _refuse(st.session_state[links.PROBLEM] + " If a training run is about to write it, it opens here by itself.")
            with st.sidebar:
                _wait_for_snapshots(str(links.awaited_path(awaited)))
        else:
            _refuse(st.session_state[links.PROBLEM])
        st.sidebar.button("Open the run picked above instead", key="link_dismiss", on_click=_forget_link_problem)
        return None
    return run_dir


def run_picker() -> tuple[Path, Path, dict, TrainConfig] | None:
    """Draw the run and snapshot pickers; returns (run_dir, snapshot_path, snapshot_meta, run config) or None.

    Stores ``run_dir`` and ``snapshot`` (paths as strings) in ``st.session_state``.
    """
    st.sidebar.header("Run")
    run_dir = _choose_run(state.discover_runs())
    if run_dir is None:
        return None
    try:
        cfg = runs.read_config(run_dir)
        snaps, bad = runs.scan_snapshots(run_dir)
    except (runs.RunError, CheckpointError, OSError) as e:
        return _refuse(f"Cannot open this run: {e}. Pick another run or retrain it.")
    if bad:
        st.sidebar.warning(
            f"{len(bad)} of {len(snaps) + len(bad)} snapshots cannot be read and are left out:  \n"
            + "  \n".join(f"{p.name}: {problem}" for p, problem in bad)
        )
    if not snaps and bad:
        return _refuse(f"None of the {len(bad)} snapshots of {run_dir} can be read: pick another run or retrain it.")
    if not snaps:
        _refuse(f"{run_dir} has no readable snapshots yet: it opens here by itself when its first one is written.")
        with st.sidebar:
            _wait_for_snapshots(str(run_dir))
        return None
    labels = [f"step {m.get('step', '?')} · epoch {_epoch(m.get('epoch'))}" for _, m in snaps]
    key = f"snap_{run_dir}"
    st.session_state[key] = _snapshot_index(key, run_dir, [m.get("step") for _, m in snaps])
    choice = st.sidebar.select_slider("Snapshot", options=list(range(len(snaps))), format_func=lambda i: labels[i], key=key)
    snap_path, meta = snaps[choice]
    st.session_state["run_dir"] = str(run_dir)
    st.session_state["snapshot"] = str(snap_path)
    st.session_state.pop("run_problem", None)
    _batchnorm_choice(run_dir, cfg.model)
    status = live.run_status(run_dir, snapshots=snaps)
    follows = status.state == "training" and choice == len(snaps) - 1
    st.session_state[links.FOLLOWS_NEWEST] = str(run_dir) if follows else None
    _card(run_dir, cfg, snaps, status)
    _live_banner(run_dir, status, len(snaps))
    return run_dir, snap_path, meta, cfg


def _epoch(value) -> str:
    """An epoch as a label shows it, to 4 significant digits: 3, 1.5, 102.6 or 0.003, not 102.5641025."""
    return f"{value:.4g}" if isinstance(value, (int, float)) else "?"


def _snapshot_index(key: str, run_dir: Path, steps: list) -> int:
    """Which snapshot the slider shows: the one a link asks for; the newest while the user follows a
    training run's newest; else the one the user picked (set explicitly: when the run gains snapshots the
    slider's options change, and Streamlit would otherwise reset it)."""
    linked = links.snapshot_index(steps)
    if linked is not None:
        return linked
    kept = st.session_state.get(key)
    moved = kept != st.session_state.get(f"{key}_shown")  # the user moved the slider since the last run
    if st.session_state.get(links.FOLLOWS_NEWEST) == str(run_dir) and not moved:
        kept = len(steps) - 1
    index = kept if kept in range(len(steps)) else len(steps) - 1
    st.session_state[f"{key}_shown"] = index
    return index


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


LIVE_REFRESH_SECONDS = 3  # how often a page of a training run looks for new log records and snapshots


def _live_banner(run_dir: Path, status: live.RunStatus, n_snapshots: int) -> None:
    """On a run that is training: its early warning, if the latest log window has one, and a watcher
    that reruns the page when the log grows (and once more when training stops)."""
    if status.state != "training" and st.session_state.get("live_watch") != str(run_dir):
        return
    warning = live.early_warning(runs.read_log(run_dir)) if status.state == "training" else None
    if warning:
        st.sidebar.warning(f"{warning[1]} (verdict: {warning[0]})", icon=":material/warning:")
    if status.state == "training":
        st.session_state["live_watch"] = str(run_dir)
        with st.sidebar:
            _watch_live_run(str(run_dir), (status.state, status.step, n_snapshots))
    else:  # training stopped: this rerun shows it; stop watching
        st.session_state.pop("live_watch", None)


@st.fragment(run_every=LIVE_REFRESH_SECONDS)
def _watch_live_run(run_dir: str, shown: tuple) -> None:
    """Every few seconds: rerun the whole page if the run's status, step or snapshots changed since
    it was drawn (widgets keep their values; cached renders of unchanged snapshots are reused)."""
    snaps, _ = runs.scan_snapshots(run_dir)
    status = live.run_status(run_dir, snapshots=snaps)
    if (status.state, status.step, len(snaps)) != shown:
        st.rerun(scope="app")


@st.fragment(run_every=LIVE_REFRESH_SECONDS)
def _wait_for_snapshots(run_dir: str) -> None:
    """Every few seconds: rerun the whole page once ``run_dir`` is a run with a readable snapshot."""
    if runs.is_run(Path(run_dir)) and runs.scan_snapshots(run_dir)[0]:
        st.rerun(scope="app")


def _card(run_dir: Path, cfg, snaps, status: live.RunStatus) -> None:
    m = cfg.model
    spec = m.output
    shape = "×".join(str(s) for s in spec.shape)
    source = runs.read_source(run_dir)
    made = f"preset {cfg.preset}" if source is None else "imported"  # an import's "preset" is its file's name
    lines = [
        f"**{run_dir.name}** · {made} · {type(m).__name__.removesuffix('Config')}",
        f"data: {cfg.dataset} · output: {spec.kind} {shape} in [{spec.value_range[0]:g}, {spec.value_range[1]:g}]",
        f"z: {m.z_dim} ({m.latent_dist}) · classes: {m.num_classes or 'none'}",
    ]
    if source is not None:
        lines += _imported_lines(source, m)
    else:
        lines.append(f"{status.describe()} · {len(snaps)} snapshots")
    last_metrics = registry.latest(runs.read_metrics(run_dir), spec.kind)
    groups = registry.by_sample_count(last_metrics, cfg.eval_samples)
    if groups:  # each figure with the number of samples it was measured on (the larger evaluation wins)
        parts = [", ".join(f"{n} {v:.3g}" for n, v in vals) + f" ({count:,} samples)" for count, vals in groups]
        lines.append(f"latest (step {last_metrics.get('step')}): " + "; ".join(parts))
    st.sidebar.caption("  \n".join(lines))


def restore_from_png(z_dim: int | None = None) -> None:
    """Sidebar uploader: a PNG exported by ganscope brings its latent back into the picked latents.

    ``z_dim``: the open run's z size (a latent of another length is refused, saying so). Each upload is
    restored once; later reruns repeat its message but do not re-send it to the interpolation start.
    """
    uploads.guard(st.sidebar)
    up = st.sidebar.file_uploader("Restore a latent from a ganscope PNG", type=["png"], key="restore_png")
    if up is None:
        return
    box = uploads.outcome("restore_png", up.file_id, st.sidebar)
    too_big = hosting.upload_refusal(up.size, up.name)
    if too_big:
        box.error(too_big)
        return
    done = st.session_state.get("restore_done")
    if done and done[0] == (up.file_id, z_dim):
        getattr(box, done[1])(done[2])
        return
    kind, message = _restore(up.getvalue(), up.name, z_dim)
    st.session_state["restore_done"] = ((up.file_id, z_dim), kind, message)
    getattr(box, kind)(message)


def _restore(data: bytes, file_name: str, z_dim: int | None) -> tuple[str, str]:
    """Restore the latents of one PNG; returns (``"success"`` or ``"error"``, the sentence to show)."""
    try:
        prov, vectors = export.latents_from_png(data, z_dim)
    except ValueError as e:
        return "error", f"{file_name}: {e}."
    seed = prov.get("seed") if isinstance(prov.get("seed"), int) else None
    label = prov.get("label") if isinstance(prov.get("label"), int) else None
    prov = export.portable(prov)  # an older PNG named absolute paths: only the name and step count
    name, step = prov.get("run"), prov.get("step") if isinstance(prov.get("step"), int) else None
    run_dir = next((p for p in state.discover_runs() if p.name == name), None) if isinstance(name, str) else None
    open_now = st.session_state.get("run_dir")
    if isinstance(name, str) and open_now and Path(open_now).name == name:
        run_dir = Path(open_now)  # the open run first (a typed one is not in the list)
    snapshot = runs.snapshot_path(run_dir, step) if run_dir is not None and step is not None else None
    base = prov.get("name") or (f"seed {seed}" if seed is not None else Path(file_name).stem)
    for i, z in enumerate(vectors):
        one_seed = seed if len(vectors) == 1 else None
        vector = tuple(float(v) for v in z)
        run = str(run_dir) if run_dir is not None else name
        snap = str(snapshot) if snapshot is not None and snapshot.is_file() else None
        entry_name = f"png: {base}" + (f" #{i}" if len(vectors) > 1 else "")
        lat.add(lat.PickedLatent(entry_name, vector, label, one_seed, run=run, snapshot=snap))
    if len(vectors) == 1:
        lat.send_to("interp_a", lat.store()[-1])
    at = f"step {step:,}" if step is not None else "an unknown snapshot"
    if run_dir is None:
        where = f"{name} ({at}), a run that is not among the runs here" if name else "an unknown run"
    elif open_now and Path(open_now) == run_dir:
        where = f"{name} ({at}), the open run"
    else:
        where = f"{name} ({at}); that run is in the run list"
    return "success", f"Restored {len(vectors)} latent(s) from {where}; pick them as “picked latent” on any page."
