"""Toy runs on the sample pages (#23 item 6): fixed axes and the true modes on every scatter, the other run
on Compare of the same dataset and output, and the Classic GANs' Samples slider changing every toy's plot."""

import base64
import json

import numpy as np

from pipelines import runs
from tests.test_app import _app, _ok


def _specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _trace(spec: dict, name: str) -> dict | None:
    return next((t for t in spec["data"] if t.get("name") == name), None)


def test_compare_ring_8_shares_fixed_axes_and_draws_the_modes():
    at = _app("compare", run="ring-8")
    scatters = [s for s in _specs(at) if _trace(s, "generated")]
    ring = [s for s in scatters if _trace(s, "true modes")]
    assert len(ring) == len(scatters) - 1 == 12  # 11 snapshots and ring-8 beside the other run (quadratic-1d)
    ranges = {(tuple(s["layout"]["xaxis"]["range"]), tuple(s["layout"]["yaxis"]["range"])) for s in ring}
    assert ranges == {((-3.0, 3.0), (-3.0, 3.0))}, ranges
    assert len(_trace(ring[0], "true modes")["x"]) == 8


def test_compare_other_run_is_alike():
    at = _app("compare", run="ring-8")
    assert at.selectbox(key="cmp_other").value.endswith("quadratic-1d")  # 2-D points too; never sine's curves
    at = _app("compare", run="mnist-dcgan")
    other = runs.read_config(at.selectbox(key="cmp_other").value)
    assert (other.dataset, type(other.model).__name__) == ("mnist", "DCGANConfig")  # not an ablation MLP


def test_samples_page_toy_has_fixed_axes():
    at = _app("samples", run="quadratic-1d")
    spec = next(s for s in _specs(at) if _trace(s, "generated"))
    assert tuple(spec["layout"]["xaxis"]["range"]) == (-0.6, 0.6) and _trace(spec, "real: y = x²")


def _len(values) -> int:
    """Points in a plotly trace array (a list, or numpy's {"bdata", "dtype"} encoding)."""
    if isinstance(values, dict):
        return len(base64.b64decode(values["bdata"])) // np.dtype(values["dtype"]).itemsize
    return len(values)


def _classic(run: str):
    at = _app("classic", run=run)
    return at


def test_classic_samples_slider_changes_every_toy():
    for run in ("toy-scalar", "pattern-1010", "sine", "ring-8"):
        at = _classic(run)
        before = json.dumps(_specs(at))
        at.slider(key="classic_n").set_value(40).run()
        _ok(at)
        after = _specs(at)
        assert json.dumps(after) != before, run
        if run == "toy-scalar":
            assert _len(_trace(after[0], "generated")["x"]) == 40
        if run == "sine":
            assert _len(_trace(after[0], "generated")["y"]) == 40 * 65  # 40 curves of 64 points, NaN between
        if run == "ring-8":
            names = [t["name"] for t in after[0]["data"]]
            assert names.index("true modes") < names.index("real"), names  # the real points drawn over the outlines
