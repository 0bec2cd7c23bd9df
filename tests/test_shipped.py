"""The runs shipped in checkpoints/: small enough for git, and good enough to show people.

"Good" is measured, not eyeballed: the domain classifiers trained by ganscope-train-classifier on
the real training sets (their accuracy on the real test sets is checked here too) read 100 samples
of each final snapshot.
"""

import pytest
import torch

from app.render import generate, seed_latents
from models import load_classifier, load_generator
from pipelines import runs
from pipelines.classifier import accuracy, predict
from pipelines.data import load_dataset
from tests.conftest import CHECKPOINTS

RUNS = ["mnist-dcgan", "fashion-dcgan", "mnist-mlp"]
# the 128-wide DCGANs are 3.6 MB a snapshot: fewer of them fit the 40 MB budget
MIN_SNAPSHOTS = {"mnist-dcgan": 3, "fashion-dcgan": 2, "mnist-mlp": 5}
CLASSIFIER = {"mnist-dcgan": "mnist", "mnist-mlp": "mnist", "fashion-dcgan": "fashion-mnist"}


def test_checkpoints_fit_the_budget_and_hold_no_training_state():
    files = [p for p in CHECKPOINTS.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 40 * 2**20
    assert not [p for p in files if p.name == runs.STATE or p.suffix in (".pt", ".pth", ".pkl")]


@pytest.mark.parametrize("run", RUNS)
def test_shipped_run_has_snapshots_across_training(run):
    snaps = runs.list_snapshots(CHECKPOINTS / run)
    assert len(snaps) >= MIN_SNAPSHOTS[run]
    cfg = runs.read_config(CHECKPOINTS / run)
    steps = [m["step"] for _, m in snaps]
    assert steps == sorted(steps) and steps[-1] >= 4 * steps[0]  # spread over training, not bunched at the end
    for path, _ in snaps:
        G, mcfg = load_generator(path)
        assert mcfg == cfg.model
        assert path.stat().st_size < 4 * 2**20
    log = runs.read_log(CHECKPOINTS / run)
    assert log[-1]["step"] == steps[-1]


@pytest.mark.parametrize("dataset,floor", [("mnist", 0.98), ("fashion-mnist", 0.86)])
def test_domain_classifiers_are_accurate_on_real_test_data(dataset, floor, mnist_dir, fashion_dir):
    model, meta = load_classifier(CHECKPOINTS / "classifiers" / f"{dataset}.safetensors")
    test = load_dataset(dataset, mnist_dir if dataset == "mnist" else fashion_dir, 28, 1, train=False)
    acc = accuracy(model, test.images, test.labels)
    assert acc >= floor
    assert abs(acc - meta["test_accuracy"]) < 0.005  # fp16 storage did not change it


def _read_samples(run, snapshot_index=-1, n=100):
    snaps = runs.list_snapshots(CHECKPOINTS / run)
    G, _ = load_generator(snaps[snapshot_index][0])
    x = generate(G, seed_latents(G, range(n)))  # [0, 1]
    model, _ = load_classifier(CHECKPOINTS / "classifiers" / f"{CLASSIFIER[run]}.safetensors")
    return predict(model, x * 2 - 1)


@pytest.mark.parametrize(
    "run,classes,confidence", [("mnist-dcgan", 10, 0.85), ("mnist-mlp", 10, 0.8), ("fashion-dcgan", 10, 0.75)]
)
def test_final_snapshot_draws_every_class_clearly(run, classes, confidence):
    probs = _read_samples(run)
    present = torch.unique(probs.argmax(1)).numel()
    assert present >= classes, f"{run}: only {present} classes among 100 samples"
    assert probs.max(1).values.mean() >= confidence  # a classifier reads them at a glance


@pytest.mark.parametrize("run", ["mnist-dcgan", "fashion-dcgan"])
def test_dcgans_draw_every_class_about_equally_often(run):
    """The recipes of docs/recipes.md: at 5,000 samples the evaluator finds KL(classes ‖ uniform) 0.018 (MNIST)
    and 0.017 (Fashion); at 1,000 samples the estimate is noisier and biased up, about 0.03 and 0.014."""
    probs = _read_samples(run, n=1000)
    share = torch.bincount(probs.argmax(1), minlength=10).float() / len(probs)
    kl = float((share * (share.clamp_min(1e-9) * 10).log()).sum())
    assert kl < 0.05, f"{run}: class shares {share.tolist()}"
    assert share.min() > 0.05  # no class is rare


@pytest.mark.parametrize("run", RUNS)
def test_training_made_samples_more_readable(run):
    first, last = _read_samples(run, 0), _read_samples(run, -1)
    assert last.max(1).values.mean() > first.max(1).values.mean()


def test_every_shipped_run_is_its_preset():
    """docs/shipped-runs.md says `ganscope-train --preset NAME` reproduces each shipped run: their configs must agree."""
    from pipelines.presets import PRESETS, get_preset

    checked = 0
    for run in sorted(p for p in CHECKPOINTS.iterdir() if (p / runs.CONFIG).is_file()):
        cfg = runs.read_config(run)
        if cfg.preset not in PRESETS:
            continue  # the ablation runs come from ganscope-ablation
        want, got = get_preset(cfg.preset).to_dict(), cfg.to_dict()
        for d in (want, got):
            d["train"].pop("data_dir")
        assert got == want, run.name
        checked += 1
    assert checked >= 13


def test_shipped_ablation_runs_are_what_ganscope_ablation_makes():
    from pipelines.ablation import ablation_configs

    configs = ablation_configs("../shared/data/mnist", batch_size=8)  # the command in docs/shipped-runs.md
    assert len(configs) == 8
    for name, cfg in configs.items():
        assert runs.read_config(CHECKPOINTS / name).to_dict() == cfg.to_dict(), name
