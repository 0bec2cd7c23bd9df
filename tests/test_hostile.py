"""Hostile use of the dashboard, through Streamlit's AppTest on real shipped runs: duplicate run names,
a truncated snapshot, an unopenable path typed after a good run, bad PNG chunks, tiny and many-face
photos. Uploads that AppTest cannot make are in tests/test_browser.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import CHECKPOINTS, ROOT

APP = str(CHECKPOINTS.parent / "app" / "dashboard.py")


@pytest.fixture
def extra_runs(tmp_path, monkeypatch):
    """A second run root, added through GANSCOPE_RUNS as a user would, empty; tests copy shipped runs into it."""
    root = tmp_path / "runs"
    root.mkdir()
    monkeypatch.setenv("GANSCOPE_RUNS", str(root))
    monkeypatch.setenv("GANSCOPE_IMPORT_DIR", str(tmp_path / "imports"))  # no other run of the checkout's runs/
    return root


def _copy(name: str, root: Path) -> Path:
    dst = root / name
    shutil.copytree(CHECKPOINTS / name, dst)
    return dst


def _start(run: Path | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    if run is not None:
        at.sidebar.selectbox(key="run_select").set_value(str(run)).run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    return at


def _no_crash(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_same_named_runs_in_two_roots_open_classic_gans(extra_runs):
    _copy("pattern-1010", extra_runs)
    at = _start(CHECKPOINTS / "mnist-dcgan", "classic")
    _no_crash(at)
    labels = [b.label for b in at.button]
    assert sum("pattern-1010" in lb for lb in labels) == 2  # both listed, told apart by where they live
    at.button(key=f"goto_{extra_runs / 'pattern-1010'}").click().run()
    _no_crash(at)
    assert at.sidebar.selectbox(key="run_select").value == str(extra_runs / "pattern-1010")


def test_same_named_runs_on_ablation_and_training_pages(extra_runs):
    twin = _copy("ablation-sgd-leaky-ln", extra_runs)
    at = _start(page="ablation")
    _no_crash(at)
    assert len(at.dataframe[0].value) == 9  # the 8 shipped runs and the copy, each its own row
    at = _start(twin, "training")
    _no_crash(at)
    at.multiselect(key="train_runs").select(str(CHECKPOINTS / "ablation-sgd-leaky-ln")).run()
    _no_crash(at)
    legend = {t["name"] for c in at.get("plotly_chart")[:1] for t in __import__("json").loads(c.proto.spec)["data"]}
    assert len(legend) == 6, legend  # 3 losses for each of the two same-named runs, not merged into 3


def _truncate(path: Path, keep: int) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def test_a_truncated_snapshot_is_listed_and_the_others_stay_usable(extra_runs):
    run = _copy("toy-scalar", extra_runs)
    snaps = sorted((run / "snapshots").glob("*.safetensors"))
    _truncate(snaps[3], 100)
    at = _start(run)
    _no_crash(at)
    assert not at.sidebar.error, [e.value for e in at.sidebar.error]
    warning = " ".join(w.value for w in at.sidebar.warning)
    assert snaps[3].name in warning and f"1 of {len(snaps)} snapshots" in warning
    assert at.title[0].value == "Samples" and at.get("plotly_chart")  # the latest good snapshot is drawn
    at.switch_page("views/compare.py").run()
    _no_crash(at)
    assert not _errors(at)
    shown = [c.key for c in at.get("plotly_chart") if c.key.startswith("evo_")]
    assert shown == [f"evo_{p.name}" for i, p in enumerate(snaps) if i != 3]  # every good snapshot, in order


def test_an_unopenable_path_after_a_good_run_clears_every_page(extra_runs, tmp_path):
    broken = extra_runs / "broken"
    (broken / "snapshots").mkdir(parents=True)
    (broken / "config.json").write_text("{not json")
    at = _start(CHECKPOINTS / "mnist-dcgan")
    assert at.get("image")
    for typed, page in [(str(broken), "samples"), (str(tmp_path / "nowhere"), "compare")]:
        at.sidebar.text_input(key="typed_run").set_value(typed).run()
        at.switch_page(f"views/{page}.py").run()
        _no_crash(at)
        assert at.sidebar.error
        for p in ("samples", "compare", "interpolate", "training", "diagnostics", "directions", "architecture"):
            at.switch_page(f"views/{p}.py").run()
            _no_crash(at)
            assert not at.get("image") and not at.get("plotly_chart") and not at.dataframe, p
            assert "cannot be opened" in at.info[0].value, p
    at.sidebar.text_input(key="typed_run").set_value("").run()
    at.switch_page("views/samples.py").run()
    assert at.get("image") and not at.sidebar.error


def test_compare_orders_by_every_registered_metric_best_first(extra_runs):
    import json

    from pipelines.metrics import METRICS

    assert {"fd", "kid", "kl_uniform", "duplicates", "diversity", "inception_fd"} <= set(METRICS)  # one registry
    run = _copy("toy-scalar", extra_runs)
    snaps = sorted((run / "snapshots").glob("*.safetensors"))
    scores = [3.0, 7.0, 1.0, 9.0, 4.0, 0.5, 8.0, 2.0, 6.0, 5.0][: len(snaps) - 1]  # the last snapshot has none
    with open(run / "metrics.jsonl", "w") as f:
        for i, (p, v) in enumerate(zip(snaps, scores, strict=False)):
            f.write(json.dumps({"step": i, "snapshot": p.name, "diversity": None}) + "\n")  # a trainer record
            f.write(json.dumps({"step": i, "snapshot": p.name, "source": "evaluate", **dict.fromkeys(METRICS, v)}) + "\n")
    at = _start(run, "compare")
    applies = {n: m for n, m in METRICS.items() if m.applies("points")}  # toy-scalar's output: no pixel metrics
    assert len(at.selectbox(key="cmp_order").options) == 1 + len(applies)  # training step, then every metric
    for name, m in applies.items():
        at.selectbox(key="cmp_order").set_value(name).run()
        _no_crash(at)
        shown = [c.key.removeprefix("evo_") for c in at.get("plotly_chart") if c.key.startswith("evo_")]
        best = snaps[scores.index(max(scores) if m.higher_is_better else min(scores))].name
        worst = snaps[scores.index(min(scores) if m.higher_is_better else max(scores))].name
        assert shown[0] == best and shown[-2] == worst and shown[-1] == snaps[-1].name, (name, shown)


def test_ablation_table_shows_every_run_s_final_metrics():
    at = _start(page="ablation")
    _no_crash(at)
    table = at.dataframe[0].value
    assert len(table) == 8
    for col in ("diversity", "near_duplicates", "fd", "duplicates"):
        assert table[col].notna().all(), table[col]


@pytest.mark.parametrize("page", ["training", "diagnostics"])
def test_metric_charts_give_each_metric_its_own_axis(page):
    import json

    at = _start(CHECKPOINTS / "mnist-dcgan", page)
    _no_crash(at)
    charts = {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart") if "metric" in (c.key or "")}
    titles = [spec["layout"]["title"]["text"] for spec in charts.values()]
    assert "fd (lower is better)" in titles and "diversity (higher is better)" in titles, titles
    for spec in charts.values():
        assert len(spec["data"]) == 1  # one run, one metric: fd (80–330) never shares an axis with a share in [0, 1]


def _png(prov: dict) -> bytes:
    import numpy as np

    from app.export import png_bytes

    return png_bytes(np.zeros((8, 8), np.uint8), prov)


@pytest.mark.parametrize(
    "data,says",
    [
        (_png({"z": "0.1, 0.2"}), "not a list of finite numbers"),
        (_png({"z": [0.5] * 64}), "its latent has 64 numbers but this run's z size is 100, so it does not fit this run"),
        (_png({"latents": [[0.1] * 100, [float("nan")] * 100]}), "not a list of finite numbers"),
        (_png({"seed": 3}), "carries no ganscope latent"),
        (b"just some text, renamed .png\n", "not an image that can be read"),
    ],
)
def test_bad_png_chunks_are_refused_with_a_sentence(data, says):
    from app.export import latents_from_png

    with pytest.raises(ValueError, match=says) as e:
        latents_from_png(data, z_dim=100)
    assert "<" not in str(e.value) and "object at" not in str(e.value)  # a sentence, not a Python repr


@pytest.mark.parametrize("side", [1, 5])
def test_a_tiny_photo_says_too_small(side, tmp_path):
    from PIL import Image

    photo = tmp_path / f"tiny-{side}.png"
    Image.new("RGB", (side, side), (128, 90, 70)).save(photo)
    at = _start(CHECKPOINTS / "faces-orl", "project")
    at.text_input(key="proj_path").set_value(str(photo)).run()
    _no_crash(at)
    assert any("too small to crop" in e and photo.name in e for e in _errors(at)), _errors(at)
    assert not at.get("image")


def test_a_photo_with_several_faces_says_how_many_and_projects_the_one_picked(faces_dir):
    photo = faces_dir / "wild" / "dlib" / "2008_002470.jpg"  # three people
    at = _start(CHECKPOINTS / "faces-orl", "project")
    at.text_input(key="proj_path").set_value(str(photo)).run()
    _no_crash(at)
    assert any("3 faces found in 2008_002470.jpg" in i.value for i in at.info), [i.value for i in at.info]
    assert len(at.radio(key="proj_face").options) == 3
    at.radio(key="proj_face").set_value(1)
    at.number_input(key="proj_steps").set_value(10)
    at.number_input(key="proj_restarts").set_value(1).run()
    at.button(key="proj_go").click().run()
    _no_crash(at)
    assert not _errors(at)
    captions = [im.proto.imgs[0].caption for im in at.get("image")]
    assert "reconstruction · photo 2008_002470.jpg (face 2)" in captions, captions


def _values(chart) -> list[float]:
    import base64
    import json

    import numpy as np

    x = json.loads(chart.proto.spec)["data"][0]["x"]
    if isinstance(x, dict):  # plotly's binary encoding of numeric arrays
        return np.frombuffer(base64.b64decode(x["bdata"]), dtype=x["dtype"]).tolist()
    return x


def test_toy_scalar_samples_show_the_real_outputs_and_say_they_leave_the_range():
    at = _start(CHECKPOINTS / "toy-scalar")
    _no_crash(at)
    xs = _values(at.get("plotly_chart")[0])
    assert len(xs) == 64 and min(xs) > 2.0 and max(xs) - min(xs) > 0.1, (min(xs), max(xs))  # not one bar at 2.0
    notes = [c.value for c in at.caption if "outside its declared range [0, 2]" in c.value]
    assert notes, [c.value for c in at.caption]


def test_a_conditional_run_shows_all_ten_digits_and_offers_a_class_wherever_a_latent_is_chosen():
    at = _start(CHECKPOINTS / "mnist-cgan")
    _no_crash(at)
    assert "80 samples, seeds 0–79, one class per row" in at.get("image")[0].proto.imgs[0].caption  # rows 0–9
    first = at.get("image")[0].proto.imgs[0].url
    at.selectbox(key="grid_class").set_value(7).run()
    _no_crash(at)
    assert "all of class 7" in at.get("image")[0].proto.imgs[0].caption and at.get("image")[0].proto.imgs[0].url != first
    for page, key in [
        ("interpolate", "interp_a_class"),
        ("arithmetic", "arith_class"),
        ("directions", "dir_base_class"),
        ("project", "proj_class"),
    ]:
        at.switch_page(f"views/{page}.py").run()
        _no_crash(at)
        picker = at.selectbox(key=key)
        assert len(picker.options) == 10, page
        before = [im.proto.imgs[0].url for im in at.get("image")]
        picker.set_value(3).run()
        _no_crash(at)
        if before:  # pages that draw samples draw them in the picked class
            assert [im.proto.imgs[0].url for im in at.get("image")] != before, page


def test_diagnostics_finds_the_training_data_from_another_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    at = _start(CHECKPOINTS / "mnist-mlp-naive", "diagnostics")
    _no_crash(at)
    assert not _errors(at)
    assert at.text_input(key="dx_data_dir").value == str((CHECKPOINTS.parent / "../shared/data/mnist").resolve())
    assert any("nearest of the first" in im.proto.imgs[0].caption for im in at.get("image"))


def test_leaving_and_coming_back_keeps_each_page_s_defaults(tmp_path):
    at = _start(CHECKPOINTS / "mnist-cgan")
    assert at.number_input(key="grid_rows").value == 10
    for page in ("training", "samples", "diagnostics", "samples", "diagnostics"):
        at.switch_page(f"views/{page}.py").run()
        _no_crash(at)
        assert not _errors(at), (page, _errors(at))
    assert at.text_input(key="dx_data_dir").value  # still the run's data folder
    at.switch_page("views/samples.py").run()
    assert at.number_input(key="grid_rows").value == 10


def test_a_run_whose_training_data_is_not_here_says_where_it_looked_without_an_error():
    at = _start(CHECKPOINTS / "faces-orl", "diagnostics")  # its crops are never shipped
    _no_crash(at)
    assert not _errors(at)
    assert any("'data/orl-crops' was not found; looked in" in i.value for i in at.info), [i.value for i in at.info]


def test_compare_offers_a_run_of_the_same_output_first():
    """#23 item 6: the same dataset and kind of output before the same latent space (sine shares ring-8's z 16,
    but its curves say nothing beside ring-8's points); the latent space's difference is then said."""
    at = _start(CHECKPOINTS / "ring-8", "compare")
    _no_crash(at)
    assert at.selectbox(key="cmp_other").value.endswith("quadratic-1d")
    assert any("different latent space" in w.value for w in at.warning), [w.value for w in at.warning]


def test_an_ablation_run_whose_snapshot_does_not_load_is_left_out_with_a_note(extra_runs):
    twin = _copy("ablation-sgd-leaky-ln", extra_runs)
    snap = next((twin / "snapshots").iterdir())
    data = bytearray(snap.read_bytes())
    data[-64:] = b"\xff" * 64  # the header still reads; the weights are now NaN
    snap.write_bytes(bytes(data))
    at = _start(page="ablation")
    _no_crash(at)
    assert len(at.dataframe[0].value) == 8
    assert any(str(snap) in w.value for w in at.warning), [w.value for w in at.warning]


def test_a_path_naming_an_unknown_users_home_is_refused_not_a_crash():
    """`~nosuchuser/run` makes pathlib raise RuntimeError: the box says the folder does not exist."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "dashboard.py"), default_timeout=120).run()
    at.sidebar.text_input(key="typed_run").set_value("~nosuchuser-ganscope/run").run()
    assert not at.exception
    assert "does not exist" in at.sidebar.error[0].value
    at.sidebar.text_input(key="typed_run").set_value("").run()
    at.switch_page("views/project.py").run()
    at.text_input(key="proj_path").set_value("~nosuchuser-ganscope/photo.jpg").run()
    assert not at.exception and "is not a file" in at.error[0].value


def test_compare_with_another_run_whose_snapshots_are_all_unreadable(extra_runs):
    """The second run on Compare has every snapshot truncated: a sentence, not Python's IndexError text."""
    bad = _copy("toy-scalar", extra_runs)
    for p in (bad / "snapshots").glob("*.safetensors"):
        _truncate(p, 100)
    at = _start(CHECKPOINTS / "toy-scalar", "compare")
    at.selectbox(key="cmp_other").set_value(str(bad)).run()
    _no_crash(at)
    assert "none of its snapshots can be read" in " ".join(_errors(at))
    assert "index out of range" not in " ".join(_errors(at))


def test_a_relative_run_path_typed_from_another_folder(tmp_path, monkeypatch):
    """`checkpoints/ring-8` typed into the box opens the checkout's run even when the app's working
    folder is elsewhere (links and ganscope-train name runs that way)."""
    monkeypatch.chdir(tmp_path)
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.sidebar.text_input(key="typed_run").set_value("checkpoints/ring-8").run()
    _no_crash(at)
    assert at.session_state["run_dir"] == str(CHECKPOINTS / "ring-8")
