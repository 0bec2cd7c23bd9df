"""The one metric registry: registration, the trainer's and evaluator's sets, merging records per snapshot."""

import numpy as np
import pytest
import torch

from pipelines import metrics as registry


def test_every_metric_is_registered_once_with_a_direction_and_a_meaning():
    assert {"diversity", "near_duplicates", "ring_modes", "fd", "kid", "precision", "modes", "kl_uniform"} <= set(
        registry.METRICS
    )
    for m in registry.METRICS.values():
        assert m.meaning and m.needs in registry.NEEDS and isinstance(m.higher_is_better, bool)
    with pytest.raises(ValueError, match="already registered"):
        registry.register_metric("fd", "again", False, "features", fn=lambda *a: 0.0)


def test_registering_a_metric_is_one_call_and_the_trainer_computes_it(monkeypatch):
    monkeypatch.setattr(registry, "METRICS", dict(registry.METRICS))
    registry.register_metric(
        "pattern_l1", "mean |x − 1010|", False, "raw", ("pattern-1010",),
        fn=lambda v: float((v - torch.tensor([1.0, 0.0, 1.0, 0.0])).abs().mean()),
    )  # fmt: skip
    x = torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    got = registry.compute_all(x, raw=x, dataset="pattern-1010")
    assert got["pattern_l1"] == pytest.approx(0.125) and "fd" not in got and "ring_modes" not in got
    assert "pattern_l1" not in registry.compute_all(x, raw=x, dataset="mnist")
    assert registry.best_first(["a", "b"], "pattern_l1", {"a": {"pattern_l1": 0.3}, "b": {"pattern_l1": 0.1}}.get) == [
        "b",
        "a",
    ]


def test_records_of_a_snapshot_merge_and_order_best_first():
    recs = [
        {"step": 2, "snapshot": "s2", "diversity": 0.3, "near_duplicates": 0.0},
        {"step": 1, "snapshot": "s1", "diversity": 0.2, "near_duplicates": 0.5},
        {"step": 2, "snapshot": "s2", "source": "evaluate", "fd": 80.0, "diversity": None},
        {"step": 1, "snapshot": "s1", "source": "evaluate", "fd": 300.0},
    ]
    merged = registry.by_snapshot(recs)
    assert list(merged) == ["s1", "s2"]
    assert merged["s2"] == {
        "step": 2,
        "snapshot": "s2",
        "diversity": 0.3,
        "near_duplicates": 0.0,
        "source": "evaluate",
        "fd": 80.0,
        "samples_of": {},
    }
    assert registry.latest(recs)["diversity"] == 0.3 and registry.latest(recs)["fd"] == 80.0
    assert registry.present(merged) == ["diversity", "near_duplicates", "fd"]
    order = registry.best_first(list(merged), "fd", merged.get)
    assert order == ["s2", "s1"]
    assert registry.best_first(list(merged), "near_duplicates", merged.get) == ["s2", "s1"]
    assert registry.best_first(list(merged) + ["none"], "kid", lambda k: merged.get(k, {})) == ["s1", "s2", "none"]


def test_the_evaluator_scores_feature_metrics_and_inception_ones_class_free():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((60, 8)), rng.standard_normal((60, 8))
    p = np.eye(10)[rng.integers(0, 10, 60)]
    full = registry.score(a, b, p, p)
    assert set(full) == {n for n, m in registry.METRICS.items() if m.needs == "features"}
    assert set(registry.score(a, b, None, None)) == set(registry.INCEPTION_METRICS)


def test_a_value_on_more_samples_wins_whatever_the_order():
    """The card shows the larger evaluation (mnist-dcgan: 5,000 samples over the 500 of an earlier one)."""
    recs = [
        {"step": 5, "snapshot": "s", "source": "evaluate", "samples": 5000, "fd": 18.0, "precision": 0.53},
        {"step": 5, "snapshot": "s", "source": "evaluate", "samples": 500, "fd": 32.3, "precision": 0.646, "modes": 10.0},
    ]
    last = registry.latest(recs)
    assert (last["fd"], last["precision"], last["modes"]) == (18.0, 0.53, 10.0)
    assert last["samples_of"] == {"fd": 5000, "precision": 5000, "modes": 500}


def test_pixel_metrics_apply_to_images_only():
    """ring-8's near_duplicates 0.992 beside 8 of 8 modes read as collapse: pixel metrics are for images."""
    recs = [{"step": 1, "snapshot": "s", "diversity": 0.07, "near_duplicates": 0.992, "ring_modes": 8.0}]
    assert registry.present([registry.latest(recs, "points")]) == ["ring_modes"]
    assert registry.present([registry.latest(recs, "image")]) == ["diversity", "near_duplicates", "ring_modes"]
    points = torch.rand(64, 2)
    assert set(registry.compute_all(points, points, "ring-8", kind="points")) == {"ring_modes", "ring_quality"}


def test_the_trainer_records_what_applies_on_unclipped_values():
    """toy-scalar's samples lie at 3.3-4.0: the trainer's records were diversity 0 and near_duplicates 1
    (pixel metrics on a clipped copy); now its record holds its own metric, on the values themselves."""
    from models import load_generator
    from pipelines import runs
    from pipelines.records import evaluate_snapshot
    from tests.conftest import CHECKPOINTS

    run = CHECKPOINTS / "toy-scalar"
    G, _ = load_generator(runs.list_snapshots(run)[-1][0])
    rec = evaluate_snapshot(G, runs.read_config(run), torch.device("cpu"))
    assert "diversity" not in rec and "near_duplicates" not in rec
    assert rec["scalar_w1"] > 1.0  # far from U(0.9, 1.1), as its Classic GANs page shows
