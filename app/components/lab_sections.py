"""The Lab page's sections below and beside the plane: metrics, history (scrub, fork, save), the drawing
pad, and the replay of a run folder."""

from __future__ import annotations

import streamlit as st

from app import state
from app.components import lab_controls as lc
from app.components import lab_plane
from models import build_discriminator, build_generator
from pipelines.lab import data
from pipelines.lab.runfolder import LabRunError, open_run, replay_frame
from pipelines.lab.settings import LOSSES, LabSettings

SAMPLES_PAGE = str(state.ROOT / "app" / "views" / "samples.py")


def networks_at(session, step: int):
    """G and D as they were at history ``step`` (new modules: the live ones keep training)."""
    e = session.history.at(step)
    G, D = build_generator(session.cfg), build_discriminator(session.cfg)
    G.load_state_dict(e.g)
    D.load_state_dict(e.d)
    return G.eval(), D.eval()


def metrics_panel(frames, rate: float) -> None:
    """The live numbers beside the plane, one block per lab (run, fork)."""
    for i, (s, fr) in enumerate(frames):
        lines = [f"**{'run' if i == 0 else 'fork'}** · iteration **{fr.step}**"]
        if i == 0:
            lines.append(f"{rate:.0f} iterations/s" if rate else "paused")
        d_rec = next((x for x in reversed(s.log) if "d_loss_real" in x and x["step"] <= fr.step), None)
        g_rec = next((x for x in reversed(s.log) if "g_loss" in x and x["step"] <= fr.step), None)
        if d_rec:
            lines.append(f"D loss {d_rec['d_loss_real'] + d_rec['d_loss_fake']:.3f} (real + fake)")
            lines.append(f"D accuracy real {d_rec['d_acc_real']:.0%} · fake {d_rec['d_acc_fake']:.0%}")
        if g_rec:
            lines.append(f"G loss {g_rec['g_loss']:.3f}")
        lines.append(f"KL {fr.kl:.3f} · JS {fr.js:.3f}")
        if fr.coverage:
            covered, modes, quality = fr.coverage
            lines.append(f"modes covered {covered}/{modes} · high quality {quality:.0%}")
        if fr.verdict:
            lines.append(f"diagnosis: {fr.verdict.replace('_', ' ')}")
        st.markdown("  \n".join(lines))


def drawing_section(settings: LabSettings) -> None:
    """The drawing pad (click / box / lasso on faint points) and a text box of "x, y" lines."""
    with st.expander("Draw your data", expanded=not st.session_state.get("lab_drawn")):
        n = st.session_state.get("lab_pad_n", 0)
        event = st.plotly_chart(
            lab_plane.drawing_pad(st.session_state.get("lab_drawn", []), data.AXES["drawn"]),
            on_select="rerun",
            selection_mode=("points", "box", "lasso"),
            key=f"lab_pad_{n}",
        )
        picked = [(p["x"], p["y"]) for p in (event.selection.points if event else []) if p.get("curve_number", 0) == 0]
        if picked:
            lc.add_drawn(picked)
            st.session_state["lab_pad_n"] = n + 1
            st.rerun()
        text = st.text_area("Or type points, one 'x, y' per line", key="lab_points_text", height=80)
        c1, c2 = st.columns(2)
        if c1.button("Add typed points", key="lab_add_points"):
            pts = lc.parse_points(text)
            if isinstance(pts, str):
                st.error(pts)
            else:
                lc.add_drawn(pts)
                st.rerun()
        if c2.button("Clear drawing", key="lab_clear_drawing"):
            st.session_state["lab_drawn"] = []
            st.session_state["lab_pad_n"] = n + 1
            st.rerun()
        st.caption("Each point becomes a small cloud N(point, 0.02²). Press Reset to train on the drawing.")


def follow_newest(r) -> None:
    """Keep the history slider on the newest moment unless the visitor moved it back."""
    steps = r.main.history.steps()
    if st.session_state.get("lab_scrub") in (None, st.session_state.get("lab_scrub_newest")) or (
        st.session_state.get("lab_scrub") not in steps
    ):
        st.session_state["lab_scrub"] = steps[-1]
    st.session_state["lab_scrub_newest"] = steps[-1]


def history_section(r, dim: int) -> None:
    """Scrub back through the kept history, fork from there, save the lab as a run."""
    st.subheader("History")
    steps = r.main.history.steps()
    if r.playing:  # this part of the page is not redrawn while it plays: counts here would go stale at once
        st.caption("Moments are kept as it trains (more often early on, coarser as it grows). Pause to see how many, "
                   "to scrub back through them and to fork.")  # fmt: skip
    else:
        st.caption(
            f"{len(steps)} moments kept (one every {r.main.history.every} iterations now, coarser as it grows; "
            f"{r.main.history.nbytes() / 2**20:.1f} MB)."
        )
    if not r.playing and len(steps) > 1:
        st.select_slider("Scrub to iteration", steps, value=steps[-1], key="lab_scrub")
        with st.form("lab_fork_form"):
            st.markdown(
                "**Fork here**: a second lab from this iteration, with these changes, trained beside it on the same noise."
            )
            s = r.main.settings
            f1, f2, f3, f4 = st.columns(4)
            loss = f1.selectbox(
                "Loss", list(LOSSES), index=list(LOSSES).index(s.loss), format_func=LOSSES.get, key="lab_fork_loss"
            )
            lr_d = f2.select_slider(
                "D learning rate", lc.LRS, value=s.lr_d if s.lr_d in lc.LRS else lc.LRS[2], key="lab_fork_lr_d"
            )
            lr_g = f3.select_slider(
                "G learning rate", lc.LRS, value=s.lr_g if s.lr_g in lc.LRS else lc.LRS[2], key="lab_fork_lr_g"
            )
            r1 = f4.number_input("R1 γ", 0.0, 100.0, s.r1_gamma, 0.1, key="lab_fork_r1")
            if st.form_submit_button("Fork here"):
                r.fork(
                    st.session_state["lab_scrub"], s.replace(loss=loss, lr_d=float(lr_d), lr_g=float(lr_g), r1_gamma=float(r1))
                )
                st.session_state.pop("lab_scrub", None)
                st.rerun()
    if len(r.sessions) > 1 and st.button("Close the fork", key="lab_unfork"):
        r.unfork()
        st.rerun()
    st.subheader("Save as a run")
    c1, c2 = st.columns([3, 1])
    name = c1.text_input("Run name", value=f"lab-{r.main.settings.dataset}", key="lab_save_name")
    which = c2.radio("Save", ["run", "fork"] if len(r.sessions) > 1 else ["run"], horizontal=True, key="lab_save_which")
    if st.button("Save as a run", key="lab_save"):
        out = lc.save(r, name, fork=which == "fork")
        if isinstance(out, str):
            st.error(out)
        else:
            st.session_state["lab_saved"] = str(out)
    saved = st.session_state.get("lab_saved")
    if saved:
        st.success(f"Saved to {saved}: every page opens it from the sidebar's run list.")
        st.button("Open it on Samples", key="lab_open_saved", on_click=_open_saved, args=(saved,))


def _open_saved(path: str) -> None:
    st.session_state["run_select"] = path
    st.session_state["lab_go_samples"] = True


def go_to_samples_if_asked() -> None:
    if st.session_state.pop("lab_go_samples", False):
        st.switch_page(SAMPLES_PAGE)


@st.cache_resource(max_entries=64, show_spinner=False)
def _replay_frame(run_dir: str, index: int, mtime: float):
    return replay_frame(open_run(run_dir), index)


def replay_section() -> None:
    """Open a run folder (a 2-D toy run or a saved lab) and scrub through its snapshots with D's surface."""
    candidates = []
    for p in state.discover_runs():
        try:
            open_run(p, n=1)
            candidates.append(str(p))
        except (LabRunError, Exception):  # noqa: BLE001 - any run the Lab cannot replay is left out of the list
            continue
    if not candidates:
        st.info("No run the Lab can replay: train a ring-8 or quadratic-1d preset, or save a lab as a run.")
        return
    run_dir = st.selectbox("Run", candidates, format_func=state.run_label, key="lab_replay_run")
    replay = open_run(run_dir)
    if not replay.has_d:
        st.info("This run kept no discriminator, so the plane shows real and fake samples and G's manifold only.")
    labels = {i: f"step {s}" for i, s in enumerate(replay.steps)}
    # one slider state per run: another run's index drew a different step from the one the slider showed
    index = st.select_slider(
        "Snapshot", list(labels), value=len(labels) - 1, format_func=labels.get, key=f"lab_replay_index:{run_dir}"
    )
    layers = st.pills("Layers", lab_plane.LAYERS, selection_mode="multi", default=list(lab_plane.LAYERS), key="lab_replay_layers")
    fr = _replay_frame(run_dir, index, (replay.snapshots[index]).stat().st_mtime)
    c1, c2 = st.columns([3, 1])
    title = f"{replay.run_dir.name} · step {fr.step}"
    fig = lab_plane.plane(fr, layers, title) if fr.axes.dim == 2 else lab_plane.line_1d(fr, layers, title, replay.noise)
    c1.plotly_chart(fig, key="lab_replay_plane")
    with c2:
        lines = [f"KL {fr.kl:.3f} · JS {fr.js:.3f}"]
        if fr.coverage:
            lines.append(f"modes covered {fr.coverage[0]}/{fr.coverage[1]} · high quality {fr.coverage[2]:.0%}")
        lines.append("D's surface: " + ("shown" if fr.surface is not None else "not kept by this run"))
        if fr.manifold is None:
            lines.append(f"manifold: only for 1-D or 2-D noise (this run's is {replay.z.shape[1]}-D)")
        st.markdown("  \n".join(lines))
