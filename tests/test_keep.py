"""Pages keep their inputs for the session (issue 23 item 1): open a link, go to another page and come
back: the page shows what it showed, and the address bar names it again."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.test_links import APP, _local  # noqa: F401 - the fixture that clears the host's settings


def _go(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_links_grid_survives_a_visit_to_interpolate():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({"run": "mnist-dcgan", "seed": "100", "rows": "4", "cols": "5", "psi": "0.7"})
    at.run()
    assert at.number_input(key="grid_seed").value == 100
    _go(at, "interpolate")
    _go(at, "samples")
    assert (at.number_input(key="grid_seed").value, at.number_input(key="grid_rows").value) == (100, 4)
    assert at.number_input(key="grid_cols").value == 5 and at.slider(key="grid_psi").value == 0.7
    assert "20 samples, seeds 100–119" in at.get("image")[0].proto.imgs[0].caption
    q = at.query_params
    assert (q["seed"], q["rows"], q["cols"], q["psi"]) == ("100", "4", "5", "0.7")


def test_typed_seed_and_interpolation_ends_survive_other_pages():
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.number_input(key="grid_seed").set_value(321).run()
    _go(at, "interpolate")
    at.number_input(key="interp_a_seed").set_value(7).run()
    at.number_input(key="interp_b_seed").set_value(9).run()
    at.slider(key="interp_t").set_value(0.25).run()
    _go(at, "samples")
    assert at.number_input(key="grid_seed").value == 321 and at.query_params["seed"] == "321"
    _go(at, "diagnostics")
    _go(at, "interpolate")
    assert (at.number_input(key="interp_a_seed").value, at.number_input(key="interp_b_seed").value) == (7, 9)
    assert at.slider(key="interp_t").value == 0.25
    assert (at.query_params["a"], at.query_params["b"], at.query_params["t"]) == ("7", "9", "0.25")
