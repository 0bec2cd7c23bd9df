"""The dashboard, headless through Streamlit's AppTest, on the shipped runs."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import CHECKPOINTS

APP = str(CHECKPOINTS.parent / "app" / "main.py")
SHIPPED = sorted(p for p in CHECKPOINTS.iterdir() if (p / "config.json").is_file()) if CHECKPOINTS.is_dir() else []


def _images(at):
    return at.get("image")


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_shipped_runs_exist():
    names = {p.name for p in SHIPPED}
    assert {"mnist-dcgan", "fashion-dcgan", "mnist-mlp"} <= names


def test_app_shows_a_grid_on_the_default_run():
    at = _app()
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Samples"
    assert len(_images(at)) == 1
    assert "64 samples" in _images(at)[0].proto.imgs[0].caption


@pytest.mark.parametrize("run", [p.name for p in SHIPPED])
def test_every_shipped_run_renders_and_widgets_change_it(run):
    at = _app()
    at.sidebar.selectbox(key="run_select").set_value(str(CHECKPOINTS / run)).run()
    assert not at.exception and not at.error
    assert run in at.sidebar.caption[-1].value
    first = _images(at)[0].proto.imgs[0].url
    at.number_input(key="grid_seed").set_value(100).run()
    assert not at.exception
    second = _images(at)[0].proto.imgs[0]
    assert second.url != first
    assert "seeds 100–163" in second.caption
    at.number_input(key="grid_rows").set_value(2).run()
    assert "16 samples" in _images(at)[0].proto.imgs[0].caption


def test_a_bad_typed_path_gives_a_clear_error(tmp_path):
    at = _app()
    at.sidebar.text_input(key="typed_run").set_value(str(tmp_path)).run()
    assert not at.exception
    assert any("not a run folder" in e.value for e in at.sidebar.error)
