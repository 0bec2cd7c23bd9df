"""Lab page: train a small GAN live (GAN Lab's plane, and more): play, step D or G, change settings while it
trains, scrub its history, fork it, save it as a run; the 1-D lab of Goodfellow et al. 2014; replay a run."""

from __future__ import annotations

import copy

import streamlit as st

from app.components import lab_controls as lc
from app.components import lab_plane, lab_raster, lab_sections
from pipelines.lab import views
from pipelines.lab.data import EmptyDrawing
from pipelines.lab.engine import one_thread
from pipelines.lab.settings import LOSSES

lab_sections.go_to_samples_if_asked()
st.title("Lab")
st.caption(
    "A small GAN training live in your session. Green: real samples; purple: fakes and G's manifold (its image of a "
    "lattice over noise space); background: D's score (green = real); orange: where G's loss pushes each fake."
)
mode = st.radio("Mode", [*lc.MODES, "Replay a run"], horizontal=True, key="lab_mode")
if mode == "Replay a run":
    lab_sections.replay_section()
    st.stop()
dim = lc.MODES[mode]
settings = lc.controls(dim)
if isinstance(settings, str):
    st.error(settings)
    st.stop()
if settings.dataset == "drawn":
    lab_sections.drawing_section(settings)
    if not settings.drawn:
        st.info(str(EmptyDrawing()))
        st.stop()  # once: nothing to train on yet (the runner would say the same again)
r = lc.runner(dim, settings)
if isinstance(r, str):
    st.info(r)
    st.stop()
pending = lc.apply_live(r, settings)
if pending:  # new networks: say so and start again (GAN Lab does the same)
    if problem := lc.reset(dim, settings):
        st.info(problem)
        st.stop()
    r = lc.runner(dim, settings)
    st.info(f"Changing {', '.join(pending)} needs new networks: the lab started again from iteration 0.")


def _pause(runner) -> None:
    """The Pause button's callback. Callbacks run before the script, so the one rerun a click makes already
    draws the new state. Play and Pause are two buttons with their own keys and each callback only ever
    goes one way: a click the browser delivers twice (it happens while the plane's timed fragment reruns
    are in flight) pauses twice instead of pausing and playing again."""
    runner.pause()


def _play(runner) -> None:
    """The Play button's callback (see ``_pause``): playing twice is playing."""
    if sentence := runner.play():
        st.session_state["lab_play_refused"] = sentence


b = st.columns(6)
if r.playing:
    b[0].button("Pause", type="primary", key="lab_pause", on_click=_pause, args=(r,))
else:
    b[0].button("Play", type="primary", key="lab_play", on_click=_play, args=(r,))
if sentence := st.session_state.pop("lab_play_refused", None):
    st.warning(sentence)
for col, (label, kind) in zip(b[1:4], [("Step D", "d"), ("Step G", "g"), ("Step both", "both")], strict=True):
    if col.button(label, key=f"lab_step_{kind}", disabled=r.playing):
        r.step(kind)
if b[4].button("Reset", key="lab_reset"):
    if problem := lc.reset(dim, settings):
        st.info(problem)
        st.stop()
    st.rerun()
layers = st.pills("Layers", lab_plane.LAYERS, selection_mode="multi", default=list(lab_plane.LAYERS), key="lab_layers")
if r.error:
    st.error(r.error)


def _networks(runner, step: int | None):
    """Under the training lock: each session with copies of its networks (as at history ``step`` when
    scrubbed back), the iteration they show and the latest log records."""
    out = []
    for s in runner.sessions:
        if step is not None and step < s.iteration:
            G, D = lab_sections.networks_at(s, step)
            it = s.history.at(step).step
        else:
            G, D, it = copy.deepcopy(s.G), copy.deepcopy(s.D), s.iteration
        out.append((s, G, D, it, [x for x in s.log[-views.VERDICT_WINDOW - 5 :] if x["step"] <= it]))
    return out


def _frames(runner, step: int | None):
    """Frames of each session; the views are computed on copies, outside the lock, so training goes on meanwhile."""
    return [
        (s, views.frame(G, D, step=it, dataset=s.settings.dataset, loss=s.settings.loss, noise=s.settings.noise,
                        real=s.fixed_real, z=s.fixed_z, log=log))
        for s, G, D, it, log in runner.read(lambda rr: _networks(rr, step))
    ]  # fmt: skip


PLANE_EVERY = 0.2  # seconds between redraws of the plane while playing (5 a second)
CHART_EVERY = 2.0  # and of the charts: building two plotly charts costs the server about 40 ms, which four
# labs at once took from their trainers every second (py-spy), and each redraw costs each browser more


def live() -> None:
    """The plane(s) and the metrics beside them; rerun 5 times a second while playing."""
    r.poll()
    r.pace_draw()
    scrub = st.session_state.get("lab_scrub") if not r.playing else None
    one_thread()
    frames = _frames(r, scrub)
    rate = r.rate()
    cols = st.columns([3, 1] if len(frames) == 1 else [2, 2, 1])
    for i, (s, fr) in enumerate(frames):
        name = "run" if i == 0 else f"fork ({LOSSES[s.settings.loss]}, lr D {s.settings.lr_d:g}, G {s.settings.lr_g:g})"
        title = f"{name} · iteration {fr.step}"
        if dim == 2 and r.playing:  # a picture while it plays: Chromium draws it in milliseconds (lab_raster)
            cols[i].image(lab_raster.plane_jpeg(fr, layers, title), width=460, output_format="JPEG")
            continue
        fig = lab_plane.plane(fr, layers, title) if dim == 2 else lab_plane.line_1d(fr, layers, title, s.settings.noise)
        size = "content" if dim == 2 else "stretch"  # the 2-D plane at its own 460 px, where the picture was
        cols[i].plotly_chart(fig, key=f"lab_plane_{i}", config={"displayModeBar": False}, width=size)
    with cols[-1]:
        lab_sections.metrics_panel(frames, rate)


def charts() -> None:
    """The loss and divergence charts below; rerun every CHART_EVERY seconds while playing (a separate fragment:
    they change slowly, and redrawing them with the plane cost the browser and the server half of each tick)."""
    scrub = st.session_state.get("lab_scrub") if not r.playing else None
    names = ["run", "fork"]
    with r.reading():
        until = [scrub if scrub is not None else s.iteration for s in r.sessions]
        logs = {names[i]: [x for x in s.log if x["step"] <= until[i]] for i, s in enumerate(r.sessions)}
        divs = {names[i]: [x for x in s.divergences if x["step"] <= until[i]] for i, s in enumerate(r.sessions)}
    c1, c2 = st.columns(2)
    windows = st.session_state.setdefault("lab_verdict_windows", views.VerdictWindows())(logs["run"])
    c1.plotly_chart(lab_plane.loss_chart(logs, windows), key="lab_loss_chart")
    c2.plotly_chart(lab_plane.divergence_chart(divs), key="lab_div_chart")


lab_sections.follow_newest(r)
st.fragment(live, run_every=PLANE_EVERY if r.playing else None)()
st.fragment(charts, run_every=CHART_EVERY if r.playing else None)()
lab_sections.history_section(r, dim)
