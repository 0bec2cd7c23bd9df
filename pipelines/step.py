"""One training step, in named parts: the discriminator update, the generator update, the EMA.

``train_step`` is what the loop calls (eagerly, or once under CUDA-graph capture and then replayed):

    (1) Update D: minimise loss.d_real(D(aug(x))) + loss.d_fake(D(aug(G(z)))) [+ R1 on the reals]
    (2) Update G: minimise loss.g(D(aug(G(z))))      (make the updated D call the fakes real)
    (3) EMA:      G_ema ← G_ema + (1 − β)·(G − G_ema)   (when ``ema_kimg`` > 0)

Its numbers (D loss on real and fake, G loss, D accuracy on real and fake, both gradient norms)
are added to a device tensor, ``window``, so the step needs no host synchronisation.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import nn

from .augment import diff_augment
from .data import to_range
from .ema import update_ema
from .loss import GANLoss

FIELDS = ("d_loss_real", "d_loss_fake", "g_loss", "d_acc_real", "d_acc_fake", "d_grad_norm", "g_grad_norm")


@dataclass
class Parts:
    """The networks and optimisers of a run, always passed together in this one order.

    ``g_net``/``d_net`` are what the step calls (``G``/``D`` wrapped for DDP or compiled, or the
    same modules); ``d_ddp`` is the DDP wrapper of D under torchrun; ``G_ema`` the averaged
    generator (None when EMA is off).
    """

    G: nn.Module
    D: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    G_ema: nn.Module | None = None
    g_net: nn.Module | None = None
    d_net: nn.Module | None = None
    d_ddp: nn.Module | None = None

    def __post_init__(self) -> None:
        self.g_net = self.g_net or self.G
        self.d_net = self.d_net or self.D

    @property
    def explored(self) -> nn.Module:
        """The generator snapshots hold: the EMA one when EMA is on."""
        return self.G_ema if self.G_ema is not None else self.G

    def d_no_sync(self):
        """G's update runs backward through D; D's gradients are discarded there, so not averaged."""
        return self.d_ddp.no_sync() if self.d_ddp is not None else contextlib.nullcontext()


@dataclass(frozen=True)
class StepOptions:
    """How the step runs, fixed for a run (resolved once from the config and the device)."""

    device: torch.device
    batch: int  # images per rank and step
    z_dim: int
    latent_dist: str  # "normal" or "uniform"
    num_classes: int  # 0: unconditional
    value_range: tuple[float, float]
    d_steps: int = 1
    g_steps: int = 1
    together: bool = False  # real and fake through D as one batch (combined_batch, or a D without batch stats)
    channels_last: bool = False
    autocast: bool = False  # bf16 autocast on CUDA
    autocast_cache: bool = True  # off under CUDA graphs (a captured graph cannot hold the weight cache)
    augment: tuple[str, ...] = ()

    def amp(self):
        """The autocast context of a forward pass (a no-op on the CPU)."""
        if not self.autocast:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16, cache_enabled=self.autocast_cache)


def grad_norm(module: nn.Module) -> torch.Tensor:
    """The global L2 norm of ``module``'s gradients (0 when it has none)."""
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    return torch.nn.utils.get_total_norm(grads, foreach=True) if grads else torch.zeros(())


def noise(opts: StepOptions, n: int, gen: torch.Generator | None) -> torch.Tensor:
    """``n`` latents from the run's latent distribution."""
    shape = (n, opts.z_dim)
    if opts.latent_dist == "uniform":
        return torch.rand(shape, generator=gen, device=opts.device)
    return torch.randn(shape, generator=gen, device=opts.device)


def make_fakes(parts: Parts, opts: StepOptions, gen: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """A batch of generated samples and their labels (None when unconditional)."""
    labels = torch.randint(opts.num_classes, (opts.batch,), generator=gen, device=opts.device) if opts.num_classes else None
    return parts.g_net(noise(opts, opts.batch, gen), labels), labels


def real_batch(images: torch.Tensor, labels: torch.Tensor, idx: torch.Tensor, opts: StepOptions):
    """The real images ``idx`` on the device, in the generator's value range, and their labels."""
    batch = images[idx].to(opts.device, non_blocking=True)
    real = to_range(batch, opts.value_range) if batch.dtype == torch.uint8 else batch
    if opts.channels_last:
        real = real.contiguous(memory_format=torch.channels_last)
    real_labels = labels[idx].to(opts.device, non_blocking=True) if opts.num_classes else None
    return real, real_labels


def _augment(x: torch.Tensor, opts: StepOptions, gen: torch.Generator | None) -> torch.Tensor:
    return diff_augment(x, opts.augment, gen) if opts.augment and x.dim() == 4 else x


def discriminator_update(parts, loss: GANLoss, opts: StepOptions, real, real_labels, gen):
    """(1) One D update on a real batch and a fresh fake batch. Returns the fakes (for G's update)
    and D's numbers: (loss_real, loss_fake, out_real, out_fake, grad_norm)."""
    D, d_net = parts.D, parts.d_net
    parts.opt_d.zero_grad(set_to_none=True)
    with opts.amp():
        fake, fake_labels = make_fakes(parts, opts, gen)
        t_real = loss.targets(opts.batch, True, gen, opts.device)
        t_fake = loss.targets(opts.batch, False, gen, opts.device)
    r1 = loss.r1_gamma > 0
    x_real = _augment(real.detach().requires_grad_(r1), opts, gen)
    x_fake = _augment(fake.detach(), opts, gen)
    if opts.together:  # one pass: D scores each sample on its own (or combined_batch asks for it)
        with opts.amp():
            labels = None if not opts.num_classes else torch.cat([real_labels, fake_labels])
            both = d_net(torch.cat([x_real, x_fake]), labels)
            out_real, out_fake = both[: opts.batch], both[opts.batch :]
            loss_real, loss_fake = loss.d_real(out_real, t_real), loss.d_fake(out_fake, t_fake)
        penalty = loss.r1(out_real, x_real) if r1 else 0.0
        (loss_real + loss_fake + penalty).backward()
    else:  # BatchNorm: never mix real and fake statistics; gradients of the two passes add up
        with opts.amp():
            out_real = d_net(x_real, real_labels)
            loss_real = loss.d_real(out_real, t_real)
        penalty = loss.r1(out_real, x_real) if r1 else 0.0
        (loss_real + penalty).backward()
        with opts.amp():
            out_fake = d_net(x_fake, fake_labels)
            loss_fake = loss.d_fake(out_fake, t_fake)
        loss_fake.backward()
    norm = grad_norm(D)
    parts.opt_d.step()
    return (fake, fake_labels), (loss_real, loss_fake, out_real, out_fake, norm)


def generator_update(parts: Parts, loss: GANLoss, opts: StepOptions, fakes, gen):
    """(2) One G update through the (just updated) D. Returns (g_loss, grad_norm)."""
    fake, fake_labels = fakes
    parts.opt_g.zero_grad(set_to_none=True)
    with parts.d_no_sync():
        with opts.amp():
            g_loss = loss.g(parts.d_net(_augment(fake, opts, gen), fake_labels))
        g_loss.backward()
    norm = grad_norm(parts.G)
    parts.opt_g.step()
    return g_loss, norm


def train_step(parts, loss, opts, data, idx, gen, window, ema_weight=None) -> None:
    """One training step on the real images ``idx`` of ``data`` (images, labels); its numbers are
    added to ``window``. ``gen`` draws the noise (None: the default generator, as under CUDA graphs);
    ``ema_weight`` is 1 − β as a 0-d device tensor (ignored when EMA is off)."""
    real, real_labels = real_batch(*data, idx, opts)
    for _ in range(opts.d_steps):
        fakes, (loss_real, loss_fake, out_real, out_fake, d_norm) = discriminator_update(
            parts, loss, opts, real, real_labels, gen
        )
    for g_step in range(opts.g_steps):
        if g_step:  # extra G updates draw fresh noise
            with opts.amp():
                fakes = make_fakes(parts, opts, gen)
        g_loss, g_norm = generator_update(parts, loss, opts, fakes, gen)
    if parts.G_ema is not None:
        update_ema(parts.G_ema, parts.G, ema_weight)
    with torch.no_grad():
        stats = [
            loss_real.detach(),
            loss_fake.detach(),
            g_loss.detach(),
            (out_real.detach() > loss.threshold).float().mean(),
            (out_fake.detach() < loss.threshold).float().mean(),
            d_norm.float(),
            g_norm.float(),
        ]
        window.add_(torch.stack(stats))
