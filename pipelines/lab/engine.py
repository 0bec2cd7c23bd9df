"""``LabSession``: one live GAN of the Lab — G, D, their optimisers, the step buttons, history and forks.

The networks are the trainer's own MLPs (``models.MLPConfig`` with ReLU, no LayerNorm, linear output),
so a saved lab loads with ``models.load_generator`` and no Lab code. The optimisers are torch's fused
kernels (``pipelines/lab/optim.py``); learning rates change in place, so Adam keeps its moments; changing
an optimiser's kind starts it afresh.

One iteration is ``d_steps`` updates of D then ``g_steps`` updates of G, each on its own batch;
``iterate(batches)`` takes the batches from outside so that a fork trains on exactly the parent's noise.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import torch

from models import MLPConfig, OutputSpec, build_discriminator, build_generator

from . import data, losses
from .history import History, HistoryEntry
from .optim import LabOptimizer
from .settings import LabSettings

LOG_EVERY = 10  # iterations per log record (means over the window, as the trainer logs)
EVAL_EVERY = 50  # iterations between divergence evaluations (KL/JS on fixed noise)


def one_thread() -> None:
    """Run this thread's torch ops on one core. Small MLPs gain nothing from a second thread, and on a
    loaded 2-core machine OpenMP's spinning makes them 50x slower (measured: 197 against 3.9 it/s).
    The setting is OpenMP's per-thread one: other threads of the server keep theirs."""
    torch.set_num_threads(1)


def model_config(s: LabSettings) -> MLPConfig:
    """The trainer's MLP config for these settings: what a saved lab's snapshots carry."""
    ax = data.AXES[s.dataset]
    return MLPConfig(
        output=OutputSpec("points", (s.dim,), ax.x if ax.dim == 1 else (min(ax.x[0], ax.y[0]), max(ax.x[1], ax.y[1]))),
        z_dim=s.noise_dim,
        g_hidden=(s.g_width,) * s.g_layers,
        d_hidden=(s.d_width,) * s.d_layers,
        activation="relu",
        layernorm=False,
        out_activation="none",
        latent_dist=s.noise,
    )


@dataclass
class Batches:
    """The samples of one iteration: a (real, noise) pair per D step and a noise batch per G step."""

    d: list[tuple[torch.Tensor, torch.Tensor]]
    g: list[torch.Tensor]


class LabSession:
    """A live GAN. ``settings`` changes through ``apply``; ``iteration`` counts iterations done."""

    def __init__(self, settings: LabSettings):
        one_thread()
        self.settings = settings
        self.cfg = model_config(settings)
        torch.manual_seed(settings.seed)  # the networks' initial weights
        self.G, self.D = build_generator(self.cfg).train(), build_discriminator(self.cfg).train()
        self.opt_d = LabOptimizer(settings.opt_d, self.D.parameters(), settings.lr_d)
        self.opt_g = LabOptimizer(settings.opt_g, self.G.parameters(), settings.lr_g)
        self.pool = data.sample(settings.dataset, data.POOL, settings.seed, settings.drawn)
        self.gen = torch.Generator().manual_seed(settings.seed + 1)  # batches: real indices and noise
        self.fixed_z = self.noise(1024, torch.Generator().manual_seed(settings.seed + 2))  # what the plane shows
        self.fixed_real = self.pool[:1024]
        self.iteration = 0
        self.log: list[dict] = []  # one record per LOG_EVERY iterations (and per manual step)
        self.divergences: list[dict] = []  # {"step", "kl", "js"} every EVAL_EVERY iterations
        self.history = History()
        self._window: list[dict] = []
        self.history.keep(self.entry())
        self.evaluate()

    # Samples.
    def noise(self, n: int, gen: torch.Generator | None = None) -> torch.Tensor:
        shape = (n, self.settings.noise_dim)
        gen = gen or self.gen
        return torch.rand(*shape, generator=gen) if self.settings.noise == "uniform" else torch.randn(*shape, generator=gen)

    def draw(self, d_steps: int, g_steps: int, batch: int) -> Batches:
        """Fresh batches for one iteration from this session's generator."""
        d = [(self.pool[torch.randint(len(self.pool), (batch,), generator=self.gen)], self.noise(batch)) for _ in range(d_steps)]
        return Batches(d, [self.noise(batch) for _ in range(g_steps)])

    # Training.
    def d_step(self, real: torch.Tensor, z: torch.Tensor) -> dict:
        """(1) Update D: minimise its loss on real and fake (+ R1 or the gradient penalty)."""
        s = self.settings
        real, z = real[: s.batch], z[: s.batch]
        with torch.no_grad():
            fake = self.G(z)
        out_r, out_f = self.D(torch.cat([real, fake])).split([len(real), len(fake)])  # one pass: half the launches
        part_r, part_f = losses.d_parts(s.loss, out_r, out_f)
        loss = part_r.mean() + part_f.mean()
        if s.loss == "wgan-gp":
            loss = loss + losses.gradient_penalty(self.D, real, fake, s.gp_lambda, self.gen)
        if s.r1_gamma > 0:
            loss = loss + losses.r1(self.D, real, s.r1_gamma)
        self.opt_d.zero_grad()
        loss.backward()
        self.opt_d.step()
        t = losses.threshold(s.loss)
        return {
            "d_loss_real": part_r.mean().item(),
            "d_loss_fake": part_f.mean().item(),
            "d_acc_real": float((out_r > t).float().mean()),
            "d_acc_fake": float((out_f <= t).float().mean()),
        }

    def g_step(self, z: torch.Tensor) -> dict:
        """(2) Update G: minimise its loss on D's verdict of G(z); D is not updated."""
        z = z[: self.settings.batch]
        self.D.requires_grad_(False)
        loss = losses.g_loss(self.settings.loss, self.D(self.G(z))).mean()
        self.opt_g.zero_grad()
        loss.backward()
        self.opt_g.step()
        self.D.requires_grad_(True)
        return {"g_loss": loss.item()}

    def iterate(
        self, batches: Batches | None = None, d_steps: int | None = None, g_steps: int | None = None, manual: bool = False
    ) -> None:
        """One iteration: ``d_steps`` D updates, then ``g_steps`` G updates (the settings' counts by default).

        Step D is ``iterate(d_steps=1, g_steps=0, manual=True)``, Step G ``iterate(d_steps=0, g_steps=1, manual=True)``;
        a manual step is logged, evaluated and kept in the history at once."""
        s = self.settings
        nd = s.d_steps if d_steps is None else d_steps
        ng = s.g_steps if g_steps is None else g_steps
        batches = batches or self.draw(nd, ng, s.batch)
        record: dict = {}
        for real, z in batches.d[:nd]:
            record.update(self.d_step(real, z))
        for z in batches.g[:ng]:
            record.update(self.g_step(z))
        self.iteration += 1
        self._window.append(record)
        if manual or len(self._window) >= LOG_EVERY:
            self._flush()
        if manual or self.iteration % EVAL_EVERY == 0:
            self.evaluate()
        if self.iteration % self.history.every == 0 or manual:
            self.history.keep(self.entry())

    def flush(self) -> None:
        """Write the pending window's means as a log record (save calls this: the log ends at ``iteration``)."""
        if self._window:
            self._flush()

    def _flush(self) -> None:
        keys = {k for r in self._window for k in r}
        rec = {"step": self.iteration}
        for k in sorted(keys):
            vals = [r[k] for r in self._window if k in r]
            rec[k] = sum(vals) / len(vals)
        rec.update(lr_d=self.settings.lr_d, lr_g=self.settings.lr_g, time=time.time())
        self.log.append(rec)
        self._window = []

    def evaluate(self) -> None:
        """KL and JS between the real and fake histograms (fixed samples), appended to ``divergences``."""
        from .views import divergences

        with torch.no_grad():
            fake = self.G(self.fixed_z)
        kl, js = divergences(self.fixed_real, fake, data.AXES[self.settings.dataset])
        if self.divergences and self.divergences[-1]["step"] == self.iteration:
            self.divergences.pop()
        self.divergences.append({"step": self.iteration, "kl": kl, "js": js})

    # Settings.
    def apply(self, new: LabSettings) -> None:
        """Change the settings that need no new networks, keeping optimiser moments where the kind is unchanged.

        Raises ValueError naming the fields when ``new`` needs new networks (the caller resets)."""
        changed = self.settings.needs_new_networks(new)
        if changed:
            raise ValueError(f"changing {', '.join(changed)} needs new networks: press Reset to start again")
        old, self.settings = self.settings, new
        if new.opt_d != old.opt_d:
            self.opt_d = LabOptimizer(new.opt_d, self.D.parameters(), new.lr_d)
        if new.opt_g != old.opt_g:
            self.opt_g = LabOptimizer(new.opt_g, self.G.parameters(), new.lr_g)
        self.opt_d.lr, self.opt_g.lr = new.lr_d, new.lr_g

    # History and forks.
    def entry(self) -> HistoryEntry:
        """This moment as a history entry (copies of the weights and optimiser states)."""
        return HistoryEntry(
            self.iteration,
            {k: v.detach().clone() for k, v in self.G.state_dict().items()},
            {k: v.detach().clone() for k, v in self.D.state_dict().items()},
            self.opt_g.state_dict(),
            self.opt_d.state_dict(),
        )

    def fork(self, entry: HistoryEntry, settings: LabSettings | None = None) -> LabSession:
        """A new session starting from ``entry`` (weights and optimiser moments), with ``settings``
        (live fields only) applied. This session is not changed."""
        child = copy.copy(self)
        child.G, child.D = copy.deepcopy(self.G), copy.deepcopy(self.D)
        child.G.load_state_dict(entry.g)
        child.D.load_state_dict(entry.d)
        child.opt_d = LabOptimizer(self.settings.opt_d, child.D.parameters(), self.settings.lr_d)
        child.opt_g = LabOptimizer(self.settings.opt_g, child.G.parameters(), self.settings.lr_g)
        child.opt_g.load_state_dict(entry.opt_g)
        child.opt_d.load_state_dict(entry.opt_d)
        child.gen = torch.Generator().manual_seed(self.settings.seed + 1)
        child.gen.set_state(self.gen.get_state())
        child.iteration = entry.step
        child.log = [r for r in self.log if r["step"] <= entry.step]
        child.divergences = [r for r in self.divergences if r["step"] <= entry.step]
        child._window = []
        child.history = self.history.until(entry.step)
        if settings is not None:
            child.apply(settings)
        return child

    def restore(self, entry: HistoryEntry) -> None:
        """Load an entry's weights into this session's networks (for replaying a saved run)."""
        self.G.load_state_dict(entry.g)
        self.D.load_state_dict(entry.d)
        self.iteration = entry.step
