"""Links that reopen a view (AppTest): a URL's run, snapshot, page and inputs are what the page shows;
the URL follows the view as the user changes it; the Copy link URL reopens the same view; bad
parameters and unknown runs get a sentence, and no other run's data."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from app import links
from pipelines import runs
from tests.conftest import ROOT

APP = str(ROOT / "app" / "dashboard.py")
CHECKPOINTS = ROOT / "checkpoints"


@pytest.fixture(autouse=True)
def _local(monkeypatch):
    for var in ("GANSCOPE_ALLOWED_ROOTS", "GANSCOPE_HIDE_PATH_BOX", "GANSCOPE_RUNS"):
        monkeypatch.delenv(var, raising=False)


def _open(query: dict, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if page:
        at.switch_page(f"views/{page}.py")
    at.query_params.update(query)
    return at.run()


def _copied(at: AppTest) -> dict[str, str]:
    """The query of the URL in the sidebar's Copy link box (opened, as a click on it does)."""
    if not at.session_state[links.COPY_LINK]:
        at.session_state[links.COPY_LINK] = True
        at.run()
    link = at.sidebar.code[0].value
    assert link.startswith("http://localhost:8501/")
    return dict(parse_qsl(urlsplit(link).query))


def _steps(run: str) -> list[int]:
    return [m["step"] for _, m in runs.list_snapshots(CHECKPOINTS / run)]


def test_samples_link_opens_its_run_snapshot_and_grid():
    step = _steps("mnist-cgan")[1]
    at = _open({"run": "mnist-cgan", "snap": str(step), "seed": "40", "rows": "2", "cols": "5", "class": "3"})
    assert not at.exception and not at.sidebar.warning
    assert at.session_state["run_dir"] == str(CHECKPOINTS / "mnist-cgan")
    assert at.session_state["snapshot"] == str(runs.snapshot_path(CHECKPOINTS / "mnist-cgan", step))
    assert (at.number_input(key="grid_seed").value, at.number_input(key="grid_rows").value) == (40, 2)
    assert at.number_input(key="grid_cols").value == 5 and at.selectbox(key="grid_class").value == 3
    copied = _copied(at)
    assert copied == {
        **{"run": "mnist-cgan", "snap": str(step), "seed": "40", "rows": "2", "cols": "5", "class": "3"},
        **{"psi": "1", "cell": "0"},  # the page's other inputs, at their defaults
    }


def test_the_url_follows_the_view_and_the_copied_link_reopens_it():
    at = _open({"run": "mnist-dcgan"}, page="interpolate")
    at.number_input(key="interp_a_seed").set_value(12).run()
    at.radio(key="interp_mode").set_value("lerp").run()
    at.slider(key="interp_t").set_value(0.3).run()
    assert not at.exception
    query = _copied(at)
    assert {k: at.query_params[k] for k in at.query_params} == query  # the address bar names the same view
    assert (query["a"], query["mode"], query["t"], query["run"]) == ("12", "lerp", "0.3", "mnist-dcgan")
    again = _open(query, page="interpolate")  # a colleague opens the copied link
    assert not again.exception
    assert again.number_input(key="interp_a_seed").value == 12 and again.radio(key="interp_mode").value == "lerp"
    assert again.slider(key="interp_t").value == 0.3
    assert again.session_state["snapshot"] == at.session_state["snapshot"]


def test_resample_updates_the_link_at_once():
    at = _open({"run": "mnist-dcgan", "seed": "10"})
    at.button(key="resample").click().run()
    assert at.number_input(key="grid_seed").value == 74 and _copied(at)["seed"] == "74"


def test_directions_and_arithmetic_links():
    at = _open({"run": "faces-orl", "src": "latents", "k": "3", "amt": "1,-2,0.5", "z": "7"}, page="directions")
    assert not at.exception and not at.sidebar.warning
    assert [at.slider(key=f"dir_amt_latents_{i}").value for i in range(3)] == [1.0, -2.0, 0.5]
    assert at.number_input(key="dir_base_seed").value == 7 and at.radio(key="dir_source").value == "latents"
    assert _copied(at)["amt"] == "1,-2,0.5"
    at.slider(key="dir_k").set_value(2).run()
    at.run()
    assert _copied(at)["amt"] == "1,-2", "amounts of directions no longer shown leave the link"
    at = _open({"run": "faces-orl", "src": "latents", "k": "2", "amt": "1,-2,0.5,3"}, page="directions")
    assert _copied(at)["amt"] == "1,-2", "a link's amounts beyond its k are not carried on"
    at = _open({"run": "faces-orl", "src": "latents", "amt": "1,-2,0.5"}, page="directions")  # no k: the page's 5
    assert at.query_params["amt"] in ("1,-2,0.5", ["1,-2,0.5"]), "the address bar, written before the count slider exists"
    assert _copied(at)["amt"] == "1,-2,0.5"

    at = _open({"run": "mnist-dcgan", "setA": "1,2,3", "setB": "4", "wB": "-0.5"}, page="arithmetic")
    assert not at.exception
    sets = [m.value for m in at.markdown if m.value.startswith("**Set")]
    assert sets[0].startswith("**Set A** · 3 member(s): seed 1, seed 2, seed 3") and "seed 4" in sets[1]
    assert at.number_input(key="w_B").value == -0.5
    assert {k: _copied(at)[k] for k in ("setA", "setB", "wB")} == {"setA": "1,2,3", "setB": "4", "wB": "-0.5"}


def test_bad_parameters_are_named_and_ignored():
    at = _open({"run": "mnist-dcgan", "seed": "abc", "rows": "99", "psi": "nan", "snap": "123", "t": "0.3", "cols": "-1"})
    assert not at.exception
    note = at.sidebar.warning[0].value
    expected = ("seed=abc is not a whole number", "rows=99 is outside 1–16", "psi=nan", "no snapshot at step 123", "t=0.3")
    for part in expected + ("cols=-1 is outside 1–16",):
        assert part in note, note
    assert at.number_input(key="grid_seed").value == 0 and at.number_input(key="grid_rows").value == 8
    assert at.session_state["snapshot"] == str(runs.list_snapshots(CHECKPOINTS / "mnist-dcgan")[-1][0])


def test_a_link_to_a_missing_run_says_so_and_shows_no_other_run():
    at = _open({"run": "mnist-dcgann", "seed": "3"})
    assert not at.exception
    assert "“mnist-dcgann”, which does not exist here" in at.sidebar.error[0].value
    assert "run_dir" not in at.session_state and "Nothing to show" in at.main.info[0].value
    at.sidebar.button(key="link_dismiss").click().run()
    assert at.session_state["run_dir"] == str(CHECKPOINTS / "mnist-dcgan") and not at.sidebar.error


def test_same_name_in_runs_and_checkpoints_links_by_folder(tmp_path, monkeypatch):
    """A run named like a shipped one: its link names its folder, and opening it opens that run."""
    local = tmp_path / "ring-8"
    shutil.copytree(CHECKPOINTS / "ring-8", local)
    monkeypatch.setenv("GANSCOPE_RUNS", str(tmp_path))
    at = _open({"run": str(local)})
    assert at.session_state["run_dir"] == str(local)
    assert _copied(at)["run"] == str(local)
    shipped = _open({"run": "ring-8"})
    assert shipped.session_state["run_dir"] == str(CHECKPOINTS / "ring-8") and _copied(shipped)["run"] == "ring-8"
    relative = _open({"run": "checkpoints/ring-8"})
    assert relative.session_state["run_dir"] == str(CHECKPOINTS / "ring-8")


def test_a_link_to_a_run_folder_path_opens_it(tmp_path):
    run = tmp_path / "elsewhere" / "mine"
    shutil.copytree(CHECKPOINTS / "toy-scalar", run)
    at = _open({"run": str(run)})
    assert not at.exception and at.session_state["run_dir"] == str(run)
    assert at.sidebar.text_input(key="typed_run").value == str(run)
    not_a_run = _open({"run": str(Path(run).parent)})
    assert "is a folder but not a run" in not_a_run.sidebar.error[0].value


def test_ganscope_train_prints_the_link_that_opens_its_run(tmp_path, capsys):
    from pipelines.live import dashboard_link
    from pipelines.train import main

    out = tmp_path / "my toy"
    assert main(["--preset", "toy-scalar", "--max-steps", "10", "--out", str(out), "--no-progress"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"watch it train: streamlit run {ROOT / 'app' / 'main.py'}")
    link = first.split("then open ")[1]
    query = dict(parse_qsl(urlsplit(link).query))
    assert query == {"run": str(out)}
    at = _open(query)
    assert not at.exception and at.session_state["run_dir"] == str(out)
    # inside the checkout a run is named by its folder: runs/mnist-dcgan, not the shipped mnist-dcgan
    assert dashboard_link(ROOT / "runs" / "mnist-dcgan")[1] == "http://localhost:8501/?run=runs/mnist-dcgan"


def test_the_links_note_goes_when_the_view_changes_and_long_values_are_cut():
    at = _open({"run": "mnist-dcgan", "seed": "x" * 5000, "junk": "y" * 5000})
    note = at.sidebar.warning[0].value
    assert "seed=" + "x" * 50 in note and len(note) < 600, len(note)
    at.run()  # a rerun with the same view keeps the note
    assert at.sidebar.warning
    at.number_input(key="grid_seed").set_value(5).run()
    assert not at.sidebar.warning
    missing = _open({"run": "r" * 3000})
    assert len(missing.sidebar.error[0].value) < 400
    typed = _open({})
    typed.sidebar.text_input(key="typed_run").set_value("/tmp/" + "r" * 3000).run()  # a pasted mess
    assert not typed.exception and "does not exist" in typed.sidebar.error[0].value


def test_a_link_opened_before_its_run_exists_opens_it_once_written(tmp_path):
    """The link ganscope-train prints, opened at once: the run folder is not there yet, then has no
    snapshot yet; each rerun (the page's watcher makes one every few seconds) looks again."""
    run = tmp_path / "soon"
    at = _open({"run": str(run)})
    assert "does not exist here" in at.sidebar.error[0].value and "opens here by itself" in at.sidebar.error[0].value
    shutil.copytree(CHECKPOINTS / "ring-8", run)
    keep = sorted((run / "snapshots").glob("*.safetensors"))
    for p in keep:
        p.rename(tmp_path / p.name)
    at.run()
    assert not at.exception and "has no readable snapshots yet" in at.sidebar.error[0].value
    (tmp_path / keep[0].name).rename(keep[0])
    at.run()
    assert not at.exception and not at.sidebar.error and at.session_state["run_dir"] == str(run)


def test_values_the_run_cannot_take_are_dropped_from_page_and_url():
    at = _open({"run": "mnist-cgan", "class": "55"})
    assert "class=55 is outside 0–9: ignored" in at.sidebar.warning[0].value
    assert at.selectbox(key="grid_class").value == "rows" and _copied(at).get("class") == "rows"
    plain = _open({"run": "mnist-dcgan", "class": "3"}, page="interpolate")
    assert "class=3 is not used: this run has no classes" in plain.sidebar.warning[0].value
    assert "class" not in _copied(plain)
    layer = _open({"run": "mnist-dcgan", "layer": "nonsense"}, page="directions")
    assert not layer.exception and "layer=nonsense is not a layer of this generator" in layer.sidebar.warning[0].value
    assert _copied(layer).get("layer") != "nonsense"
