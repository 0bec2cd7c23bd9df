"""Hostile use of the dashboard, through Streamlit's AppTest on real shipped runs: duplicate run names,
a truncated snapshot, an unopenable path typed after a good run, bad PNG chunks, tiny and many-face
photos. Uploads that AppTest cannot make are in tests/test_browser.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import CHECKPOINTS

APP = str(CHECKPOINTS.parent / "app" / "main.py")


@pytest.fixture
def extra_runs(tmp_path, monkeypatch):
    """A second run root (as GANSCOPE_RUNS would add), empty; tests copy shipped runs into it."""
    import app.state

    root = tmp_path / "runs"
    root.mkdir()
    monkeypatch.setattr(app.state, "RUN_ROOTS", [CHECKPOINTS, root])
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
