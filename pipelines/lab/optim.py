"""The Lab's optimisers: Adam and SGD on torch's own fused CPU kernels, called without ``torch.optim``.

``torch.optim.Adam(fused=True)`` and ``torch.optim.SGD(fused=True)`` run these same kernels
(``torch._fused_adam_``, ``torch._fused_sgd_``), so the arithmetic is torch's, and ``tests/test_lab_optim.py``
checks the weights match ``torch.optim`` bit for bit. What calling them directly saves, on the Lab's
small networks (ReLU MLPs 128-128, two updates an iteration):

* ``torch.optim``'s per-step wrapper (profiler scope, dynamo guards, grouping tensors by device), about a
  quarter of an iteration (``benchmarks/lab_speed.py`` measures the engine both ways in the same run);
* ``torch._dynamo`` with sympy, which ``torch.optim`` imports on its first step: about 145 MB of the
  server's memory, paid by the first lab of a process.

Learning rates change in place (``lr``), so Adam keeps its moments; ``state_dict`` / ``load_state_dict``
copy the moments and step counts for the history and forks.
"""

from __future__ import annotations

import torch

KINDS = ("adam", "sgd")
BETAS = (0.5, 0.999)  # DCGAN's (Radford et al. 2016), as the trainer uses
EPS = 1e-8


class LabOptimizer:
    """``kind`` ("adam" or "sgd", plain SGD without momentum) over ``params`` at learning rate ``lr``."""

    def __init__(self, kind: str, params, lr: float):
        if kind not in KINDS:
            raise ValueError(f"optimiser {kind!r}: one of {', '.join(KINDS)}")
        self.kind = kind
        self.params: list[torch.Tensor] = list(params)
        self.lr = float(lr)
        # Per parameter, as torch.optim's fused Adam keeps them: a float32 step count and two moments.
        self.steps = [torch.zeros((), dtype=torch.float32) for _ in self.params]
        self.exp_avg = [torch.zeros_like(p) for p in self.params] if kind == "adam" else []
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params] if kind == "adam" else []

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter that has a gradient (the others keep their weights and moments)."""
        idx = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not idx:
            return
        params = [self.params[i] for i in idx]
        grads = [p.grad for p in params]
        if self.kind == "sgd":
            torch._fused_sgd_(
                params, grads, [], weight_decay=0.0, momentum=0.0, lr=self.lr, dampening=0.0,
                nesterov=False, maximize=False, is_first_step=False,
            )  # fmt: skip
            return
        steps = [self.steps[i] for i in idx]
        torch._foreach_add_(steps, 1)
        torch._fused_adam_(
            params, grads, [self.exp_avg[i] for i in idx], [self.exp_avg_sq[i] for i in idx], [], steps,
            lr=self.lr, beta1=BETAS[0], beta2=BETAS[1], weight_decay=0.0, eps=EPS, amsgrad=False, maximize=False,
        )  # fmt: skip

    def state_dict(self) -> dict:
        """Copies of the step counts and moments (what a history entry keeps), with the kind."""
        return {
            "kind": self.kind,
            "steps": [t.clone() for t in self.steps],
            "exp_avg": [t.clone() for t in self.exp_avg],
            "exp_avg_sq": [t.clone() for t in self.exp_avg_sq],
        }

    def load_state_dict(self, state: dict) -> None:
        """Take a ``state_dict`` over the same parameters (copied in). One of another kind (a fork from before
        the optimiser was changed) leaves this one fresh, as changing the kind does while training."""
        if state["kind"] != self.kind:
            return
        mine = self.steps + self.exp_avg + self.exp_avg_sq
        for m, theirs in zip(mine, state["steps"] + state["exp_avg"] + state["exp_avg_sq"], strict=True):
            m.copy_(theirs)
