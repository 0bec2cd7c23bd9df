"""The small classic GANs: their data, the shipped runs' lessons, the x·y game, GAN-hack switches."""

import math

import numpy as np
import pytest
import torch

from models import DCGANConfig, load_generator
from models.latent import sample_latents
from pipelines import runs
from pipelines.architecture import layer_table, plan_rows
from pipelines.dynamics import simulate
from pipelines.loss import GANLoss
from pipelines.presets import TrainConfig, get_preset
from pipelines.toydata import SINE_X, make_toy, ring_centres, ring_coverage
from pipelines.train import train
from tests.conftest import CHECKPOINTS


def _samples(run, n=500):
    G, _ = load_generator(CHECKPOINTS / run)
    with torch.no_grad():
        return G(sample_latents(range(n), G.z_dim, G.latent_dist))


def test_toy_data_follows_its_definition():
    p, _ = make_toy("pattern-1010", 1000)
    assert (p[:, [0, 2]] >= 0.8).all() and (p[:, [1, 3]] <= 0.2).all()
    q, _ = make_toy("quadratic", 1000)
    assert torch.allclose(q[:, 1], q[:, 0] ** 2) and q[:, 0].abs().max() <= 0.5
    s, _ = make_toy("sine", 10)
    assert s.shape == (10, 64) and s.abs().max() <= 1
    r, modes = make_toy("ring-8", 4000)
    assert ring_coverage(r) == (8, pytest.approx(1.0, abs=0.01))
    assert ring_coverage(ring_centres()[[0] * 100])[0] == 1  # a collapsed sample set covers one mode
    sc, _ = make_toy("scalar", 100)
    assert sc.min() >= 0.9 and sc.max() <= 1.1


def test_shipped_pattern_1010_learned_the_pattern():
    x = _samples("pattern-1010")
    assert (x[:, [0, 2]] > 0.75).all() and (x[:, [1, 3]] < 0.25).all()


def test_shipped_quadratic_lies_on_the_parabola():
    x = _samples("quadratic-1d")
    assert (x[:, 1] - x[:, 0] ** 2).abs().mean() < 0.05
    assert x[:, 0].std() > 0.1  # spread along the curve, not one point


def test_shipped_sine_curves_are_sines():
    x = _samples("sine", 50).numpy()
    b, c = np.meshgrid(np.linspace(0.3, 2.2, 40), np.linspace(-0.3, math.pi + 0.3, 40))
    bank = np.sin(b.reshape(-1, 1) * SINE_X.numpy()[None] + c.reshape(-1, 1))
    corr = np.corrcoef(np.concatenate([x, bank]))[: len(x), len(x) :]
    assert np.median(corr.max(1)) > 0.9


def test_shipped_ring_covers_modes():
    modes, quality = ring_coverage(_samples("ring-8", 2000))
    assert modes >= 6 and quality > 0.2


def test_toy_scalar_logs_both_parameters_every_step():
    log = runs.read_log(CHECKPOINTS / "toy-scalar")
    assert [r["step"] for r in log] == list(range(1, 301))
    assert all("p" in r and "q" in r for r in log)
    assert log[0]["q"] != log[-1]["q"]


def test_xy_game():
    lr = 0.1
    sim = simulate("simultaneous", 1.0, 1.0, lr, 100)
    r = np.hypot(sim[:, 0], sim[:, 1])
    assert np.allclose(r[1:] / r[:-1], math.sqrt(1 + lr**2))  # spirals outward, exactly
    alt = np.hypot(*simulate("alternating", 1.0, 1.0, lr, 2000).T)
    assert 0.5 < alt.min() and alt.max() < 2.5  # circles forever
    for m in ("extragradient", "optimistic"):
        end = simulate(m, 1.0, 1.0, lr, 2000)[-1]
        assert np.hypot(*end) < 0.05  # converges to (0, 0)
    with pytest.raises(ValueError):
        simulate("adam", 0, 0, 0.1, 1)


def test_label_flip_and_smoothing_targets():
    cfg = get_preset("mnist-mlp").replace(label_flip=0.2, real_label=0.9)
    g = torch.Generator().manual_seed(0)
    real = GANLoss(cfg).targets(10_000, True, g, torch.device("cpu"))
    fake = GANLoss(cfg).targets(10_000, False, g, torch.device("cpu"))
    assert real.unique().tolist() == pytest.approx([0.0, 0.9])
    assert abs(float((real == 0).float().mean()) - 0.2) < 0.02
    assert abs(float((fake > 0).float().mean()) - 0.2) < 0.02


def test_update_ratio_and_combined_batch(tmp_path, mnist_small):
    base = dict(
        preset="t", model=DCGANConfig(image_size=28, channels=1, ngf=8, ndf=8), max_steps=3, batch_size=32, eval_samples=8
    )
    seen = {}

    def count(info):
        seen["d"] = info.opt_d.state_dict()["state"][0]["step"]
        seen["g"] = info.opt_g.state_dict()["state"][0]["step"]

    train(TrainConfig(**base, d_steps=2, g_steps=3), tmp_path / "ratio", data=mnist_small, progress=False, callbacks=[count])
    assert (float(seen["d"]), float(seen["g"])) == (6.0, 9.0)
    train(TrainConfig(**base, combined_batch=True), tmp_path / "combined", data=mnist_small, progress=False)
    assert runs.read_log(tmp_path / "combined")[-1]["step"] == 3


def test_architecture_tables_follow_the_formulas():
    g_rows, d_rows = plan_rows(DCGANConfig(image_size=28, channels=1))
    assert [r["size"] for r in g_rows] == ["1 → 7", "7 → 14", "14 → 28"]
    assert g_rows[1]["formula"] == "(7 − 1)·2 − 2·1 + 4 = 14"
    assert d_rows[0]["formula"] == "⌊(28 + 2·1 − 4) / 2⌋ + 1 = 14"
    G, _ = load_generator(CHECKPOINTS / "mnist-dcgan")
    table = layer_table(G, torch.zeros(2, 100))
    assert table[-1]["output"] == "1×28×28"
    assert sum(r["params"] for r in table) == sum(p.numel() for p in G.parameters())
    convs = [m for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert sum(r["params"] for r in g_rows) == sum(p.numel() for m in convs for p in m.parameters())


def test_ablation_backs_the_tutorials_claim():
    """LeakyReLU with LayerNorm keeps most digits; Adam alone (sigmoid, no LayerNorm) collapses."""
    from models import load_classifier
    from pipelines.classifier import class_coverage, default_classifier_path

    model, _ = load_classifier(default_classifier_path("mnist"))
    digits = {}
    for run in sorted(CHECKPOINTS.glob("ablation-*")):
        G, _ = load_generator(run)
        digits[run.name.removeprefix("ablation-")] = class_coverage(G, model, 100)["classes"]
    assert len(digits) == 8
    assert digits["adam-leaky-ln"] >= 6 and digits["sgd-leaky-ln"] >= 6
    assert digits["adam-sigmoid-noln"] <= 2 and digits["sgd-sigmoid-noln"] <= 2
    best_without_both = max(v for k, v in digits.items() if not k.endswith("leaky-ln"))
    assert min(digits["adam-leaky-ln"], digits["sgd-leaky-ln"]) > best_without_both
