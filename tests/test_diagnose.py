"""Diagnostics: verdicts on synthetic logs of each signature and on the shipped runs, and the
feature-space metrics behaving as they must on real, noise and collapsed samples."""

import numpy as np
import pytest
import torch

from models import load_classifier
from pipelines.classifier import default_classifier_path
from pipelines.data import load_dataset, to_range
from pipelines.diagnose import diagnose, diagnose_run
from pipelines.evaluate import embed, frechet_distance, kernel_distance, nearest_training, score
from tests.conftest import CHECKPOINTS


def _log(n, d_real, d_fake, g, acc_r, acc_f, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    pick = lambda v, i: v(i) if callable(v) else v  # noqa: E731
    return [
        {
            "step": i + 1,
            "d_loss_real": pick(d_real, i) + noise * rng.standard_normal(),
            "d_loss_fake": pick(d_fake, i) + noise * rng.standard_normal(),
            "g_loss": pick(g, i),
            "d_acc_real": pick(acc_r, i),
            "d_acc_fake": pick(acc_f, i),
        }
        for i in range(n)
    ]


def test_synthetic_stable():
    dx = diagnose(_log(500, 0.6, 0.6, 1.0, 0.75, 0.75, noise=0.05))
    assert dx.verdict == "stable"
    assert {e.rule for e in dx.evidence} == {"d_loss_real", "d_loss_fake", "g_loss"}


def test_synthetic_convergence_failure():
    # D loss falls to ~0 and stays, G loss climbs, D always right (Brownlee's signature)
    dx = diagnose(
        _log(
            500,
            lambda i: max(0.6 - i / 100, 0.001),
            lambda i: max(0.6 - i / 100, 0.001),
            lambda i: 1 + i / 20,
            lambda i: min(0.7 + i / 100, 1.0),
            lambda i: min(0.7 + i / 100, 1.0),
        )
    )
    assert dx.verdict == "convergence_failure"
    assert dx.windows[0].verdict == "stable" and dx.windows[-1].verdict == "convergence_failure"
    assert any(e.rule == "d_loss" and e.value < 0.05 for e in dx.evidence)


def test_synthetic_mode_collapse_from_samples():
    log = _log(500, 0.5, 0.3, lambda i: 1.5 + np.sin(i / 5), 0.8, 0.95)
    metrics = [
        {"step": 100, "diversity": 0.3, "near_duplicates": 0.0},
        {"step": 500, "diversity": 0.05, "near_duplicates": 0.9, "modes": 2.0},
    ]
    dx = diagnose(log, metrics)
    assert dx.verdict == "mode_collapse"
    assert {e.rule for e in dx.evidence} == {"near_duplicates", "modes", "diversity_drop"}
    assert dx.evidence[0].steps == (500, 500)


def test_synthetic_oscillation_and_divergence():
    osc = _log(500, 0.6, 0.6, lambda i: 3.0 if (i // 3) % 2 else 0.2, 0.7, lambda i: 0.98 if (i // 3) % 2 else 0.1)
    assert diagnose(osc).verdict == "oscillation"
    bad = _log(100, 0.6, 0.6, 1.0, 0.75, 0.75)
    bad[70].update(g_loss=None, nonfinite=["g_loss"])
    dx = diagnose(bad)
    assert dx.verdict == "diverged" and dx.evidence[0].steps == (71, 71)
    with pytest.raises(ValueError):
        diagnose([])


@pytest.mark.parametrize(
    "run,verdict",
    [
        ("eights-stable", "stable"),
        ("eights-mode-collapse", "mode_collapse"),
        ("eights-convergence-failure", "convergence_failure"),
        ("mnist-mlp-naive", "mode_collapse"),
        ("mnist-dcgan", "stable"),
    ],
)
def test_shipped_runs_are_diagnosed_correctly(run, verdict):
    dx = diagnose_run(CHECKPOINTS / run)
    assert dx.verdict == verdict, [(e.rule, e.value, e.note) for e in dx.evidence]
    assert dx.evidence and len(dx.windows) == 10


@pytest.fixture(scope="module")
def mnist_features(mnist_dir):
    model, _ = load_classifier(default_classifier_path("mnist"))
    test = load_dataset("mnist", mnist_dir, 28, 1, train=False, limit=600)
    train = load_dataset("mnist", mnist_dir, 28, 1, limit=600)
    return model, embed(model, to_range(test.images, (-1.0, 1.0))), embed(model, to_range(train.images, (-1.0, 1.0))), train


def test_metrics_floor_noise_and_collapse(mnist_features):
    model, (rf, rp), (tf, tp), train = mnist_features
    real = score(rf, tf, rp, tp)
    nf, npr = embed(model, torch.rand(600, 1, 28, 28) * 2 - 1)
    noise = score(rf, nf, rp, npr)
    one = to_range(train.images[:1], (-1.0, 1.0)).repeat(600, 1, 1, 1) + 0.02 * torch.randn(600, 1, 28, 28)
    cf, cp = embed(model, one)
    collapsed = score(rf, cf, rp, cp)
    assert real["fd"] * 10 < noise["fd"] and real["kid"] * 10 < noise["kid"]
    assert abs(real["kid"]) < 0.2 and real["modes"] == 10 and real["kl_uniform"] < 0.05
    assert real["precision"] > 0.8 and real["recall"] > 0.8 and real["duplicates"] < 0.05
    assert noise["precision"] < 0.05 and noise["recall"] < 0.05
    assert collapsed["recall"] < 0.05 and collapsed["modes"] <= 2 and collapsed["duplicates"] > 0.9
    assert collapsed["kl_uniform"] > 2.0


def test_frechet_and_kernel_distance_basics():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((500, 8)), rng.standard_normal((500, 8))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)
    assert frechet_distance(a, b + 3) == pytest.approx(8 * 9, rel=0.1)  # ‖Δμ‖² = 8·3²
    assert abs(kernel_distance(a, b)) < 0.05 < kernel_distance(a, b + 3)


def test_nearest_training_finds_a_copied_image(mnist_features):
    model, _, _, train = mnist_features
    t = to_range(train.images, (-1.0, 1.0))
    near = nearest_training(t[[5, 17]], t, k=2, classifier=model)
    assert near["pixels"][0][:, 0].tolist() == [5, 17] and near["pixels"][1][:, 0].max() < 1e-6
    assert near["features"][0][:, 0].tolist() == [5, 17]


def test_inception_path_runs_end_to_end(tmp_path, mnist_dir):
    """The Inception-feature metrics, wired through ganscope-evaluate. torchvision's pretrained weights
    cannot be downloaded here, so the network has random weights: the plumbing (resize to 299, RGB,
    2048-d features, every metric) is what is checked; real weights only change the numbers."""
    import shutil

    from torchvision.models import inception_v3

    from pipelines.evaluate import evaluate_run, inception_extractor, inception_status

    if not inception_status().startswith("available"):
        from pipelines.data import DataError

        with pytest.raises(DataError, match="unavailable"):
            inception_extractor()
    torch.manual_seed(0)
    net = inception_v3(weights=None, aux_logits=False, init_weights=True)
    net.fc = torch.nn.Identity()
    run = tmp_path / "run"
    shutil.copytree(CHECKPOINTS / "eights-mode-collapse", run)
    recs = evaluate_run(run, data_dir=str(mnist_dir), samples=12, inception=net.eval(), write=False)
    assert len(recs) == 3
    for key in ("inception_fd", "inception_kid", "inception_precision", "inception_recall", "fd", "modes"):
        assert np.isfinite(recs[-1][key]), key


SHIPPED_RUNS = sorted(p.name for p in CHECKPOINTS.iterdir() if (p / "log.jsonl").exists())


@pytest.mark.parametrize("run", SHIPPED_RUNS)
def test_every_shipped_verdict_agrees_with_its_evidence(run):
    """A verdict never contradicts its evidence table: "stable" only with every row in the healthy band
    of the run's loss; any other verdict with no row saying "in the healthy band"."""
    dx = diagnose_run(CHECKPOINTS / run)
    notes = [e.note for e in dx.evidence]
    assert notes, run
    if dx.verdict == "stable":
        assert all(n == "in the healthy band" for n in notes), (dx.verdict, notes)
    else:
        assert not any(n == "in the healthy band" for n in notes), (dx.verdict, notes)


def test_least_squares_band_and_the_one_parameter_gan():
    """pattern-1010 (least squares on sigmoid: 0.25 per term at equilibrium) is in its own band, not
    BCE's; toy-scalar's D calls every sample fake from about step 40 (no equilibrium exists): not stable."""
    dx = diagnose_run(CHECKPOINTS / "pattern-1010")
    assert dx.verdict == "stable" and {e.rule for e in dx.evidence} == {"d_loss_real", "d_loss_fake", "g_loss"}
    scalar = diagnose_run(CHECKPOINTS / "toy-scalar")
    assert scalar.verdict == "unbalanced"
    assert any(e.rule == "d_acc_real" and e.value < 0.1 and "calls everything fake" in e.note for e in scalar.evidence)
    assert any(e.rule == "d_loss_real" and e.value > 0.4 for e in scalar.evidence)


@pytest.mark.parametrize(
    "loss,d,g,verdict",
    [("bce", 0.69, 0.69, "stable"), ("mse", 0.69, 0.69, "unbalanced"), ("mse", 0.25, 0.25, "stable"),
     ("bce", 0.25, 0.25, "unbalanced"), ("hinge", 1.0, 0.0, "stable"), ("hinge", 0.69, 3.0, "unbalanced")],
)  # fmt: skip
def test_bands_are_per_loss(loss, d, g, verdict):
    assert diagnose(_log(200, d, d, g, 0.6, 0.6, noise=0.01), loss=loss).verdict == verdict
