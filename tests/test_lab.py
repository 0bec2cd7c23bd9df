"""The Lab (pipelines/lab and the Lab page): histograms and divergences, Step D / Step G, history and
forks, drawn data, save as a run, replay of a toy run with D's surface, the served-mode caps."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from models import load_discriminator, load_generator
from pipelines import runs
from pipelines.lab import data, views
from pipelines.lab.data import Axes, EmptyDrawing
from pipelines.lab.engine import LabSession
from pipelines.lab.runfolder import open_run, replay_frame, save_run
from pipelines.lab.runner import LabRunner, TrainingSlots
from pipelines.lab.settings import LabSettings
from pipelines.runs import discriminator_path
from pipelines.toydata import make_toy
from tests.conftest import CHECKPOINTS

APP = str(CHECKPOINTS.parent / "app" / "dashboard.py")
SMALL = LabSettings(g_width=32, d_width=32, batch=64)  # fast: the tests check behaviour, not quality


def _params(m: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in m.parameters()]


def _same(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


# Histograms and divergences.
def test_histograms_sum_to_one_even_with_points_off_the_view():
    pts2 = torch.randn(777, 2) * 3  # many outside the ±2.5 view
    assert views.histogram(pts2, data.AXES["ring"]).sum() == pytest.approx(1.0, abs=1e-12)
    pts1 = torch.randn(50, 1) * 10
    assert views.histogram(pts1, data.AXES["gaussian-1d"]).sum() == pytest.approx(1.0, abs=1e-12)
    real = data.sample("ring", 2000, 0)
    assert views.histogram(real, data.AXES["ring"]).sum() == pytest.approx(1.0, abs=1e-12)  # GAN Lab's summed to ~0.34


def test_kl_and_js_are_zero_for_the_same_samples():
    x = data.sample("spiral", 1000, 3)
    kl, js = views.divergences(x, x.clone(), data.AXES["spiral"])
    assert kl == pytest.approx(0.0, abs=1e-12) and js == pytest.approx(0.0, abs=1e-12)


def test_kl_and_js_match_a_hand_computation():
    axes = Axes((0.0, 20.0))  # 20 bins of width 1
    real = torch.tensor([[0.5], [0.5], [1.5], [1.5]])  # p = (1/2, 1/2) on cells 0, 1
    fake = torch.tensor([[0.5], [0.5], [0.5], [1.5]])  # q = (3/4, 1/4)
    kl, js = views.divergences(real, fake, axes)
    hand_kl = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)  # 0.143841
    m = (0.625, 0.375)
    hand_js = 0.5 * (0.5 * math.log(0.5 / m[0]) + 0.5 * math.log(0.5 / m[1])) + 0.5 * (
        0.75 * math.log(0.75 / m[0]) + 0.25 * math.log(0.25 / m[1])
    )  # 0.033822
    assert kl == pytest.approx(hand_kl, abs=1e-4) and js == pytest.approx(hand_js, abs=1e-4)


# Steps.
def test_step_d_changes_only_d_and_step_g_only_g():
    r = LabRunner(LabSession(SMALL))
    s = r.main
    g0, d0 = _params(s.G), _params(s.D)
    before = views.frame(s.G, s.D, step=0, dataset="ring", loss="ns", noise=SMALL.noise, real=s.fixed_real, z=s.fixed_z)
    r.step("d")
    after = views.frame(s.G, s.D, step=1, dataset="ring", loss="ns", noise=SMALL.noise, real=s.fixed_real, z=s.fixed_z)
    assert _same(g0, _params(s.G)) and not _same(d0, _params(s.D))
    assert np.array_equal(before.fake, after.fake)  # the fakes stay
    assert not np.allclose(before.surface[2], after.surface[2])  # the surface moves
    d1 = _params(s.D)
    r.step("g")
    assert _same(d1, _params(s.D)) and not _same(g0, _params(s.G))
    assert s.iteration == 2 and s.history.steps() == [0, 1, 2]


def test_learning_rate_changes_keep_adam_moments_and_network_changes_say_reset():
    s = LabSession(SMALL)
    for _ in range(5):
        s.iterate()
    moments = [v.clone() for v in s.opt_g.exp_avg]
    assert any(v.abs().sum() > 0 for v in moments)
    s.apply(s.settings.replace(lr_g=3e-4, loss="hinge"))
    assert s.opt_g.lr == 3e-4
    assert _same(moments, s.opt_g.exp_avg)
    with pytest.raises(ValueError, match="g_width needs new networks: press Reset"):
        s.apply(s.settings.replace(g_width=64))


# History and forks.
def test_a_fork_starts_equal_to_history_and_the_parent_goes_on_unchanged():
    control, r = LabSession(SMALL), LabRunner(LabSession(SMALL))
    for _ in range(40):
        control.iterate(control.draw(1, 1, SMALL.batch))
        r._iterate()
    entry = r.main.history.at(20)
    assert entry.step == 20
    r.fork(20, SMALL.replace(lr_g=1e-2))
    child = r.sessions[1]
    assert child.iteration == 20
    assert all(torch.equal(child.G.state_dict()[k], v) for k, v in entry.g.items())
    assert all(torch.equal(child.D.state_dict()[k], v) for k, v in entry.d.items())
    for _ in range(20):
        control.iterate(control.draw(1, 1, SMALL.batch))
        r._iterate()
    assert _same(_params(control.G), _params(r.main.G)) and _same(_params(control.D), _params(r.main.D))
    assert child.iteration == 40 and not _same(_params(child.G), _params(r.main.G))


def test_a_fork_with_no_change_from_now_trains_on_the_same_noise_as_its_parent():
    r = LabRunner(LabSession(SMALL))
    for _ in range(30):
        r._iterate()
    r.fork(30, None)
    for _ in range(10):
        r._iterate()
    assert _same(_params(r.sessions[0].G), _params(r.sessions[1].G))


def test_history_is_bounded_and_spans_the_run():
    s = LabSession(SMALL)
    s.history.max_entries = 8
    for _ in range(200):
        s.iterate()
    steps = s.history.steps()
    assert len(steps) <= 8 and steps[0] == 0 and steps[-1] >= 160 and s.history.every > 10


# Drawn data.
@pytest.mark.parametrize("n", [3, 2000])
def test_drawn_sets_train(n):
    pts = tuple((float(x), float(y)) for x, y in (torch.rand(n, 2) * 4 - 2).tolist())
    s = LabSession(SMALL.replace(dataset="drawn", drawn=pts))
    for _ in range(150):
        s.iterate()
    assert all(math.isfinite(r["g_loss"]) and math.isfinite(r["d_loss_real"]) for r in s.log)
    assert s.divergences[0]["step"] == 0 and s.divergences[-1]["step"] == 150
    assert s.divergences[-1]["js"] < s.divergences[0]["js"]  # the fakes moved towards the drawing


def test_an_empty_drawing_says_what_to_do():
    with pytest.raises(EmptyDrawing, match="Draw some points first"):
        LabSession(SMALL.replace(dataset="drawn"))


# Served mode.
def test_training_slots_cap_the_labs_training_at_once(monkeypatch):
    from pipelines.lab import runner as runner_mod

    monkeypatch.setattr(runner_mod, "SLOTS", TrainingSlots(1))
    a, b = LabRunner(LabSession(SMALL)), LabRunner(LabSession(SMALL))
    try:
        assert a.play() is None
        assert "lab places are training right now" in b.play() and not b.playing
    finally:
        a.pause()
    assert b.play() is None
    b.pause()


def test_playing_labs_share_the_servers_redraws(monkeypatch):
    """A lab playing alone redraws 5 times a second; four share those 5 (each waits 0.8 s since its last redraw,
    without the GIL), so their pages' requests do not take their trainers' time; a paused lab never waits."""
    from pipelines.lab import runner as runner_mod

    slots = TrainingSlots(4)
    monkeypatch.setattr(runner_mod, "SLOTS", slots)
    waits: list[float] = []
    monkeypatch.setattr(runner_mod.time, "sleep", waits.append)
    r = LabRunner(LabSession(SMALL))
    r.playing = True  # as Play leaves it, without a trainer thread
    slots.acquire(id(r))
    assert runner_mod.draw_interval() == pytest.approx(0.2)
    r.pace_draw()
    r.pace_draw()  # at once: it waits out the rest of 0.2 s
    assert 0.15 < waits[-1] <= 0.2
    for owner in (1, 2, 3):
        slots.acquire(owner)
    assert runner_mod.draw_interval() == pytest.approx(0.8)
    r.pace_draw()
    assert 0.75 < waits[-1] <= 0.8
    r.playing = False
    r.pace_draw()
    assert len(waits) == 3  # paused: no wait asked


def test_rate_cap_bounds_iterations_per_second():
    r = LabRunner(LabSession(SMALL), max_rate=40)
    r.play()
    time.sleep(2.0)
    r.poll()
    r.pause()
    assert 20 <= r.main.iteration <= 120


def test_a_redraw_waits_for_one_iteration_not_the_trainers_whole_chunk(monkeypatch):
    """The plane's redraw takes the training lock; the trainer hands it over after its current iteration
    (before, a redraw waited out the whole chunk: with 8 iterations a chunk, 40% of the page's time)."""
    import threading

    from pipelines.lab import runner as runner_mod

    monkeypatch.setattr(runner_mod, "CHUNK", 1_000_000)  # a chunk no redraw could wait out
    r = LabRunner(LabSession(SMALL))
    r.play()
    try:
        deadline = time.monotonic() + 30
        while r.main.iteration < 3 and time.monotonic() < deadline:  # the trainer is inside its chunk
            time.sleep(0.01)
        got: list[int] = []
        reader = threading.Thread(target=lambda: got.append(r.read(lambda rr: rr.main.iteration)), daemon=True)
        t0 = time.monotonic()
        reader.start()
        reader.join(timeout=10)
        assert got, "the redraw still waits for the lock after 10 s"
        assert time.monotonic() - t0 < 10 and got[0] >= 3
    finally:
        r.playing = False  # stop the trainer (pause() itself waits for the lock)
        if got:
            r.pause()


def test_the_dashboard_skips_streamlits_full_gc_after_each_script_run():
    """A full gc.collect() takes ~90 ms holding the GIL, and the Lab's plane reruns 5 times a second beside
    its training thread: the dashboard's config turns Streamlit's post-run collection off."""
    import tomllib

    from app import state

    config = tomllib.loads((state.ROOT / "app" / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


# Save as a run, replay.
def test_save_as_run_loads_with_the_ordinary_loader(tmp_path):
    s = LabSession(SMALL.replace(noise="uniform"))
    for _ in range(25):
        s.iterate()
    out = save_run(s, tmp_path / "lab-ring")
    G, cfg = load_generator(out)
    assert cfg == s.cfg and runs.read_config(out).model == s.cfg
    z = torch.rand(16, 2)
    with torch.no_grad():
        assert torch.allclose(G(z), s.G(z), atol=2e-2)  # fp16 snapshot of the same weights
    steps = [m["step"] for _, m in runs.list_snapshots(out)]
    assert steps == [*s.history.steps(), 25]
    D, _ = load_discriminator(discriminator_path(out, 25))
    with torch.no_grad():
        assert torch.allclose(D(z), s.D(z), atol=2e-2)
    assert runs.read_log(out)[-1]["step"] == 25
    replay = open_run(out)
    assert replay.has_d and replay_frame(replay, len(replay.steps) - 1).surface is not None


def test_a_shipped_toy_run_replays_with_its_own_d_surface():
    """The shipped quadratic-1d run keeps the discriminator it trained with beside every snapshot (real, not
    a fresh D saved for the test): its replay draws D's surface and the arrows, and D tells the curve apart."""
    replay = open_run(CHECKPOINTS / "quadratic-1d")
    assert replay.has_d and all(p is not None for p in replay.discriminators) and replay.dataset == "quadratic"
    fr = replay_frame(replay, len(replay.steps) - 1)
    assert fr.surface[2].shape == (views.SURFACE, views.SURFACE) and fr.arrows.shape == (256, 2)
    D, _ = load_discriminator(replay.discriminators[-1])
    real, _ = make_toy("quadratic", 512, seed=1)
    off = real + torch.tensor([0.0, 0.3])  # the same x, lifted off the parabola
    with torch.no_grad():
        assert D(real).mean() > D(off).mean()  # a trained D scores the real curve higher than points off it


# The page (AppTest).
def _lab(monkeypatch, tmp_path, **env) -> AppTest:
    monkeypatch.setenv("GANSCOPE_IMPORT_DIR", str(tmp_path / "saved"))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("views/lab.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _panel(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**run**"))


def test_lab_page_steps_scrubs_forks_saves_and_samples_opens_the_save(monkeypatch, tmp_path):
    at = _lab(monkeypatch, tmp_path)
    assert "iteration **0**" in _panel(at)
    for _ in range(3):
        at.button(key="lab_step_both").click().run()
    at.button(key="lab_step_d").click().run()
    assert "iteration **4**" in _panel(at) and not at.exception
    at.select_slider(key="lab_scrub").set_value(2).run()
    assert "iteration **2**" in _panel(at)
    at.button(key="FormSubmitter:lab_fork_form-Fork here").click().run()
    assert any(m.value.startswith("**fork** · iteration **2**") for m in at.markdown)
    at.text_input(key="lab_save_name").set_value("my lab").run()
    at.button(key="lab_save").click().run()
    saved = tmp_path / "saved" / "my-lab"
    assert (saved / "snapshots").is_dir() and (saved / "discriminators").is_dir()
    at.button(key="lab_open_saved").click().run()
    assert not at.exception and not at.error, [e.message for e in at.exception]
    assert at.title[0].value == "Samples" and at.session_state["run_select"] == str(saved)
    assert "lab-ring" in " ".join(c.value for c in at.sidebar.markdown) or at.get("plotly_chart")


def test_a_pause_click_delivered_twice_leaves_the_lab_paused(monkeypatch, tmp_path):
    """Under load the browser sometimes sends one Pause click twice (with the plane's timed fragment
    reruns in flight); it once toggled back to playing, so "Play" never came back."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates

    at = _lab(monkeypatch, tmp_path)
    runner = at.session_state["lab_runner_2"]
    try:
        next(b for b in at.button if b.label == "Play").click().run()
        assert runner.playing
        pause = next(b for b in at.button if b.label == "Pause").click()
        click = WidgetStates(widgets=[pause._widget_state])
        at._run(click)
        at._run(click)  # the same click again
        assert not runner.playing and [b for b in at.button if b.label == "Play"]
    finally:
        runner.pause()


def test_the_playing_page_paces_its_redraws_and_says_no_stale_history_counts(monkeypatch, tmp_path):
    """While it plays, the plane's redraw goes through the shared redraw budget (LabRunner.pace_draw), and the
    History part (not redrawn while playing) gives no counts that would go stale (the picture plane itself:
    tests/test_lab_browser.py)."""
    at = _lab(monkeypatch, tmp_path)
    runner = at.session_state["lab_runner_2"]
    paced = []
    pace = runner.pace_draw
    monkeypatch.setattr(runner, "pace_draw", lambda: paced.append(runner.playing) or pace())
    try:
        next(b for b in at.button if b.label == "Play").click().run()
        assert runner.playing and paced and all(paced)
        captions = [c.value for c in at.caption]
        assert not any("moments kept" in c for c in captions)
        assert any("Pause to see how many" in c for c in captions)
    finally:
        runner.pause()
    at.run()
    assert any("moments kept" in c.value for c in at.caption)  # paused: the counts, now true


def test_lab_page_empty_drawing_and_1d_lab(monkeypatch, tmp_path):
    at = _lab(monkeypatch, tmp_path)
    at.button(key="lab_step_both").click().run()
    at.number_input(key="lab2_g_width").set_value(64).run()  # needs new networks: says so, starts again
    assert any("g_width needs new networks: the lab started again" in i.value for i in at.info)
    assert "iteration **0**" in _panel(at) and at.session_state["lab_runner_2"].main.cfg.g_hidden == (64, 64)
    at.selectbox(key="lab2_dataset").set_value("drawn").run()
    assert [i.value for i in at.info].count(str(EmptyDrawing())) == 1  # said once (the review saw it twice)
    at.radio(key="lab_mode").set_value("1-D lab (Goodfellow 2014, Fig. 1)").run()
    at.button(key="lab_step_both").click().run()
    assert not at.exception and "iteration **1**" in _panel(at)


def test_lab_page_replays_a_shipped_toy_run_with_d_surface(monkeypatch, tmp_path):
    at = _lab(monkeypatch, tmp_path)
    at.radio(key="lab_mode").set_value("Replay a run").run()
    at.selectbox(key="lab_replay_run").set_value(str(CHECKPOINTS / "quadratic-1d")).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "D's surface: shown" in text and "KL" in text
    assert not [i.value for i in at.info if "kept no discriminator" in i.value]
    at.selectbox(key="lab_replay_run").set_value(str(CHECKPOINTS / "ring-8")).run()  # ring-8 kept none: it says so
    assert [i.value for i in at.info if "kept no discriminator" in i.value]
    assert "modes covered" in " ".join(m.value for m in at.markdown)


def test_served_lab_saves_into_the_visitors_session_folder(monkeypatch, tmp_path):
    at = _lab(monkeypatch, tmp_path, GANSCOPE_ALLOWED_ROOTS=str(CHECKPOINTS))
    at.button(key="lab_step_both").click().run()
    at.button(key="lab_save").click().run()
    saved = at.session_state["lab_saved"]
    assert "ganscope-session-" in saved and not saved.startswith(str(CHECKPOINTS))
    assert not (tmp_path / "saved").exists()


def test_plane_axes_are_fixed_and_real_points_drawn_above_the_surface():
    from app.components import lab_plane

    s = LabSession(SMALL)
    figs = []
    for _ in range(2):
        fr = views.frame(s.G, s.D, step=s.iteration, dataset="ring", loss="ns", noise=SMALL.noise, real=s.fixed_real, z=s.fixed_z)
        figs.append(lab_plane.plane(fr, lab_plane.LAYERS, "t"))
        for _ in range(30):
            s.iterate()
    for fig in figs:
        assert tuple(fig.layout.xaxis.range) == (-2.5, 2.5) and tuple(fig.layout.yaxis.range) == (-2.5, 2.5)
    names = [t.name for t in figs[0].data]
    assert names.index("real") > names.index("D") and names.index("real") > names.index("G manifold")
    assert not np.array_equal(figs[0].data[names.index("fake")].x, figs[1].data[names.index("fake")].x)
