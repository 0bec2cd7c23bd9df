"""The Lab's optimisers (torch's fused kernels called directly) against torch.optim, and their state."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from pipelines.lab.optim import BETAS, LabOptimizer


def _net(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))


def _train(net: torch.nn.Module, opt, steps: int, lr_change_at: int | None = None) -> None:
    gen = torch.Generator().manual_seed(5)
    for i in range(steps):
        if i == lr_change_at:
            if isinstance(opt, LabOptimizer):
                opt.lr = 3e-3
            else:
                opt.param_groups[0]["lr"] = 3e-3
        x = torch.randn(32, 2, generator=gen)
        loss = (net(x) - x.sum(1, keepdim=True)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


@pytest.mark.parametrize("kind", ["adam", "sgd"])
def test_the_same_weights_as_torch_optim_bit_for_bit(kind):
    ours, theirs = _net(0), _net(0)
    reference = (
        torch.optim.Adam(theirs.parameters(), lr=1e-2, betas=BETAS, fused=True)
        if kind == "adam"
        else torch.optim.SGD(theirs.parameters(), lr=1e-2, fused=True)
    )
    _train(ours, LabOptimizer(kind, ours.parameters(), 1e-2), 40, lr_change_at=20)
    _train(theirs, reference, 40, lr_change_at=20)
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.equal(a, b)
    if kind == "adam":  # and the default (unfused) Adam agrees to rounding
        plain = _net(0)
        _train(plain, torch.optim.Adam(plain.parameters(), lr=1e-2, betas=BETAS), 40, lr_change_at=20)
        for a, b in zip(ours.parameters(), plain.parameters(), strict=True):
            torch.testing.assert_close(a, b)


def test_a_parameter_without_gradient_keeps_its_weight_and_moments():
    net = _net(1)
    opt = LabOptimizer("adam", net.parameters(), 1e-2)
    net[0].weight.requires_grad_(False)
    before = net[0].weight.clone()
    _train(net, opt, 3)
    assert torch.equal(net[0].weight, before)
    assert opt.steps[0].item() == 0 and opt.exp_avg[0].abs().sum() == 0
    assert opt.steps[1].item() == 3


def test_state_round_trips_and_another_kind_starts_fresh():
    a, b = _net(2), _net(2)
    opt_a = LabOptimizer("adam", a.parameters(), 1e-2)
    _train(a, opt_a, 5)
    b.load_state_dict(a.state_dict())
    opt_b = LabOptimizer("adam", b.parameters(), 1e-2)
    opt_b.load_state_dict(opt_a.state_dict())
    _train(a, opt_a, 5)
    _train(b, opt_b, 5)
    for x, y in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(x, y)
    sgd = LabOptimizer("sgd", b.parameters(), 1e-2)
    sgd.load_state_dict(opt_a.state_dict())  # a fork from before the kind was changed
    assert sgd.exp_avg == [] and all(s.item() == 0 for s in sgd.steps)
    with pytest.raises(ValueError, match="one of adam, sgd"):
        LabOptimizer("rmsprop", b.parameters(), 1e-2)


def test_training_a_lab_never_imports_torch_dynamo():
    """torch.optim imports torch._dynamo (about 145 MB) on its first step; the Lab keeps it out."""
    code = (
        "import sys; from pipelines.lab.engine import LabSession; from pipelines.lab.settings import LabSettings; "
        "s = LabSession(LabSettings()); [s.iterate() for _ in range(3)]; s.fork(s.history.entries[-1]).iterate(); "
        "print('torch._dynamo' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
