"""The dashboard, headless through Streamlit's AppTest, on the shipped runs: every page shows what
it should and its main widgets change the output."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import CHECKPOINTS, run_card

APP = str(CHECKPOINTS.parent / "app" / "dashboard.py")
SHIPPED = sorted(p for p in CHECKPOINTS.iterdir() if (p / "config.json").is_file()) if CHECKPOINTS.is_dir() else []


def _app(page: str | None = None, run: str = "mnist-dcgan") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    _ok(at)
    if run != at.sidebar.selectbox(key="run_select").value.rsplit("/", 1)[-1]:
        at.sidebar.selectbox(key="run_select").set_value(str(CHECKPOINTS / run)).run()
        _ok(at)
    if page:
        at.switch_page(f"views/{page}.py").run()
        _ok(at)
    return at


def _ok(at):
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _captions(at):
    return [c for im in at.get("image") for c in [im.proto.imgs[0].caption]]


def _grid_caption(at):
    """The caption of the main sample view: an image's caption, or a plot's title for non-image runs."""
    import json

    if at.get("image"):
        return _captions(at)[0]
    return json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]


def _urls(at):
    return [im.proto.imgs[0].url for im in at.get("image")]


def test_shipped_runs_exist():
    assert {"mnist-dcgan", "fashion-dcgan", "mnist-mlp"} <= {p.name for p in SHIPPED}


@pytest.mark.parametrize("run", [p.name for p in SHIPPED])
def test_samples_page_on_every_shipped_run(run):
    at = _app(run=run)
    assert at.title[0].value == "Samples"
    assert run in run_card(at)
    assert "finished: step " in run_card(at)  # the run's status, read from its log
    n = 80 if run == "mnist-cgan" else 64  # a conditional run starts with one row per class (10 rows of 8)
    assert f"{n} samples, seeds 0–{n - 1}" in _grid_caption(at)
    first = _urls(at)[0] if at.get("image") else at.get("plotly_chart")[0].proto.spec
    at.number_input(key="grid_seed").set_value(100).run()
    _ok(at)
    assert f"seeds 100–{100 + n - 1}" in _grid_caption(at)
    assert (_urls(at)[0] if at.get("image") else at.get("plotly_chart")[0].proto.spec) != first
    at.number_input(key="grid_rows").set_value(2).run()
    assert "16 samples" in _grid_caption(at)
    at.button(key="resample").click().run()  # next seeds, same size
    assert "16 samples, seeds 116–131" in _grid_caption(at)


def test_samples_inspect_and_send_to_interpolation():
    at = _app()
    at.select_slider(key="inspect_cell").set_value(5).run()
    _ok(at)
    assert _captions(at)[1] == "seed 5"
    assert len(at.get("download_button")) >= 5  # grid PNG, ZIP, .npy, .json, single PNG
    at.button(key="inspect_send_a").click().run()
    at.switch_page("views/interpolate.py").run()
    _ok(at)
    assert at.radio(key="interp_a_mode").value == "picked"
    assert "from seed 5 to seed 1" in " ".join(_captions(at))


def test_interpolate_page_strip_scrub_modes_and_path():
    at = _app("interpolate")
    caps = _captions(at)
    assert caps[0].startswith("slerp, t = 0.50") and "8 frames" in caps[1]
    at.slider(key="interp_frames").set_value(12).run()
    assert "12 frames" in _captions(at)[1]
    scrub = _urls(at)[0]
    at.slider(key="interp_t").set_value(0.9).run()
    assert _urls(at)[0] != scrub
    at.radio(key="interp_mode").set_value("both").run()
    _ok(at)
    caps = _captions(at)
    assert caps[0].startswith("lerp") and caps[1].startswith("slerp")
    assert len(at.get("plotly_chart")) == 1  # the latent norm along the path
    at.checkbox(key="interp_loop").check().run()
    assert "→ back" in _captions(at)[-1]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Path GIF" in labels and "Path MP4" in labels


def _three_sets_of_three(at) -> list[str]:
    """Fill concept sets A, B and C with three seeds each (the book's recipe); the captions shown."""
    for seeds, target in [([0, 1, 2], "A"), ([3, 4, 5], "B"), ([6, 7, 8], "C")]:
        at.selectbox(key="arith_target").set_value(target)
        at.multiselect(key="arith_pick").set_value(seeds).run()
        at.button(key="arith_add").click().run()
        _ok(at)
    caps = _captions(at)
    assert sum(c.startswith("members of") for c in caps) == 3
    assert any(c.startswith("result: 1·mean(A) − 1·mean(B) + 1·mean(C)") for c in caps)
    return caps


def test_arithmetic_page_builds_sets_and_a_result():
    at = _app("arithmetic")
    assert any("Fill at least one set" in i.value for i in at.info)
    caps = _three_sets_of_three(at)
    assert "7 variations around the result" in caps
    before = _urls(at)
    at.number_input(key="w_B").set_value(0.0).run()
    assert any(c.startswith("result: 1·mean(A) + 1·mean(C)") for c in _captions(at))
    assert _urls(at)[-2] != before[-2]


def test_directions_page_moves_the_latent():
    at = _app("directions")
    assert len(at.get("plotly_chart")) == 1  # variance explained
    moved = _urls(at)[0]
    at.slider(key="dir_amt_layer_0").set_value(2.0).run()
    _ok(at)
    assert _urls(at)[0] != moved
    at.radio(key="dir_source").set_value("labelled").run()
    assert any("Fill two different concept sets" in i.value for i in at.info)


def test_compare_page_shows_every_snapshot():
    from pipelines import runs

    at = _app("compare")
    n = len(runs.list_snapshots(CHECKPOINTS / "mnist-dcgan"))
    caps = _captions(at)
    assert sum(c.startswith("step ") for c in caps) == n
    at.selectbox(key="cmp_order").set_value("diversity").run()
    _ok(at)
    assert all("diversity" in c for c in _captions(at)[:n])
    at.selectbox(key="cmp_other").set_value(str(CHECKPOINTS / "mnist-mlp")).run()
    _ok(at)
    assert any("mnist-mlp" in c for c in _captions(at))
    assert not any("verdict changed" in c for c in _captions(at))  # a healthy run: no marks


def test_compare_marks_the_snapshot_where_the_verdict_changed():
    at = _app("compare", run="eights-convergence-failure")
    caps = [c for c in _captions(at) if c.startswith("step ")]
    marked = [c for c in caps if "verdict changed" in c]
    # the first window was already off BCE's band (D's terms about 0.04): "unbalanced", not "stable"
    assert len(marked) == 1 and marked[0].startswith("step 450") and "unbalanced → convergence_failure" in marked[0], caps


def test_training_page_overlays_runs():
    at = _app("training")
    keys = [c.key for c in at.get("plotly_chart")]
    assert len([k for k in keys if k.startswith("curve_")]) == 3  # three curve groups
    assert {"metrics_diversity", "metrics_fd", "metrics_precision"} <= set(keys)  # and one small chart per metric
    at.multiselect(key="train_runs").set_value([str(CHECKPOINTS / "mnist-dcgan"), str(CHECKPOINTS / "mnist-mlp")]).run()
    _ok(at)
    import json

    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = {t["name"] for t in fig["data"]}
    assert "mnist-dcgan: g_loss" in names and "mnist-mlp: g_loss" in names


def test_a_bad_typed_path_gives_a_clear_error(tmp_path):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.text_input(key="typed_run").set_value(str(tmp_path)).run()
    assert not at.exception
    assert any("not a run folder" in e.value for e in at.sidebar.error)


@pytest.mark.parametrize(
    "run,what",
    [
        ("toy-scalar", "Generator weight q"),
        ("pattern-1010", "Mean generated pattern"),
        ("sine", "Generated curves"),
        ("quadratic-1d", "Discriminator accuracy"),
        ("ring-8", "Modes covered"),
    ],
)
def test_classic_page_draws_each_toy_natively(run, what):
    import json

    at = _app("classic", run=run)
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]
    metrics = [m.label for m in at.metric]
    assert any(what in t for t in titles) or what in metrics, (titles, metrics)
    at.switch_page("views/samples.py").run()  # the image pages draw non-image samples as plots
    _ok(at)
    assert len(at.get("plotly_chart")) >= 1 and not at.get("image")


def test_classic_page_on_an_image_run_offers_the_toys():
    at = _app("classic")
    labels = [b.label.split()[0] for b in at.button]
    assert {"pattern-1010", "ring-8", "sine"} <= set(labels)
    at.button(key=f"goto_{CHECKPOINTS / 'ring-8'}").click().run()
    _ok(at)
    assert at.sidebar.selectbox(key="run_select").value.endswith("ring-8")


def _line_colours(chart) -> dict[str, set[str]]:
    """{update rule: colours of its lines} in a plotly chart of the Dynamics page (names "rule" or "rule: coord")."""
    out: dict[str, set[str]] = {}
    for trace in json.loads(chart.proto.spec)["data"]:
        name = trace.get("name", "").split(":")[0]
        colour = (trace.get("line") or {}).get("color")
        if colour and name not in ("gradient field", "equilibrium"):
            out.setdefault(name, set()).add(colour)
    return out


def test_dynamics_page():
    at = _app("dynamics")
    assert len(at.get("plotly_chart")) == 4  # the x·y game's two charts and the Dirac-GAN's two
    before = [m.value for m in at.metric]
    at.slider(key="dyn_lr").set_value(0.3).run()
    _ok(at)
    after = [m.value for m in at.metric]
    assert after != before and float(after[0]) > float(before[0])  # simultaneous spirals out faster
    for plane, time in ((0, 1), (2, 3)):  # one colour per update rule, the same in the plane and over time
        a, b = (_line_colours(at.get("plotly_chart")[i]) for i in (plane, time))
        assert a.keys() == b.keys() and all(len(a[m]) == 1 and a[m] == b[m] for m in a), (a, b)
        assert len({c for cs in a.values() for c in cs}) == len(a)  # and different rules differ


def test_dynamics_dirac_gan_r1_converges():
    at = _app("dynamics")
    gan = [float(m.value) for m in at.metric][-2:]  # the Dirac-GAN's two metrics come last
    assert all(v > 1.0 for v in gan), gan  # the unregularised GAN stays away from (0, 0)
    at.selectbox(key="dirac_method").set_value("r1").run()
    _ok(at)
    r1 = [float(m.value) for m in at.metric][-2:]
    assert all(v < 0.01 for v in r1), r1
    at.slider(key="dirac_param_r1").set_value(0.0).run()  # γ = 0 is the unregularised GAN again
    assert all(float(m.value) > 1.0 for m in at.metric[-2:])


def test_architecture_page():
    at = _app("architecture")
    assert len(at.dataframe) == 2 and len(at.table) == 2  # both layer tables, and the plans with their formulas
    assert "parameters" in at.subheader[-1].value


def test_ablation_page_lays_out_eight_runs():
    at = _app("ablation")
    df = at.dataframe[0].value
    assert len(df) == 8 and set(df["optimiser"]) == {"adam", "sgd"}
    assert df["digits covered"].between(1, 10).all()


@pytest.mark.parametrize(
    "run,verdict",
    [("mnist-dcgan", "stable"), ("eights-mode-collapse", "mode collapse"), ("eights-convergence-failure", "convergence failure")],
)
def test_diagnostics_page(run, verdict):
    import json

    at = _app("diagnostics", run=run)
    assert at.subheader[0].value == f"Verdict: {verdict}"
    assert len(at.dataframe[0].value) >= 1  # the evidence
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert len(fig["layout"]["shapes"]) == 10  # the verdict windows drawn on the curves
    assert at.selectbox(key="dx_best_metric").value
    assert "Best of the" in " ".join(m.value for m in at.markdown)
    caps = _captions(at)
    assert len(caps) == 6 and "4 nearest" in caps[0]  # the memorisation view
    at.radio(key="dx_space").set_value("features").run()
    _ok(at)
    assert "features distance" in _captions(at)[0]


def test_project_page_finds_a_real_photo_and_sends_it_to_interpolation(faces_dir):
    at = _app("project", run="faces-orl")
    assert at.title[0].value == "Project a photo"
    assert at.checkbox(key="proj_crop").value  # a face run: crop with MTCNN as in training
    at.text_input(key="proj_path").set_value(str(faces_dir / "att_orl" / "s9" / "2.pgm"))
    at.number_input(key="proj_steps").set_value(60)
    at.button(key="proj_go").click().run()
    _ok(at)
    caps = _captions(at)
    assert caps[0].startswith("the crop") and caps[1] == "reconstruction · photo 2.pgm"
    mse = at.metric[0]
    assert mse.label == "pixel MSE" and float(mse.value) < 0.05 and mse.delta.startswith("-")
    at.button(key="proj_send_a").click().run()
    at.switch_page("views/interpolate.py").run()
    _ok(at)
    assert at.radio(key="interp_a_mode").value == "picked"
    assert at.selectbox(key="interp_a_pick").value == "photo 2.pgm"


def test_project_page_says_when_a_photo_has_no_face(faces_dir):
    at = _app("project", run="faces-orl")
    at.text_input(key="proj_path").set_value(str(faces_dir / "wild" / "skimage" / "coffee.png"))
    at.button(key="proj_go").click().run()
    assert not at.exception
    assert any("No face was found" in e.value for e in at.error)
    assert not _captions(at)


def test_arithmetic_page_averages_three_faces_per_set():
    at = _app("arithmetic", run="faces-orl")
    caps = _three_sets_of_three(at)
    assert any(c.startswith("members of A") for c in caps)


def test_snapshot_labels_show_epochs_to_four_digits():
    from app.components.sidebar import _epoch

    assert [_epoch(v) for v in (102.5641025, 1.0, 0.003, 13.999999999, None)] == ["102.6", "1", "0.003", "14", "?"]


def test_directions_on_a_generator_without_layers_or_latent_width():
    """toy-scalar: z is 1-d and the generator has no layers: one direction from latents, and a sentence
    (no blank Layer box, no slider offering 5 directions) for the layer source."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["run"] = "toy-scalar"
    at.switch_page("views/directions.py")
    at.run()
    assert not at.exception and "no layer whose activations can be read" in at.info[0].value
    at.radio(key="dir_source").set_value("latents").run()
    assert not at.exception
    assert [s.key for s in at.slider if s.key.startswith("dir_amt_")] == ["dir_amt_latents_0"]
    assert not [s for s in at.slider if s.key == "dir_k"]
