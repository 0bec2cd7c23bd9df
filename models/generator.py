"""The generator contract as code: the base class every generator in ``models/`` derives from.

As diffusers' ``ConfigMixin`` does, the network holds its frozen config (``G.cfg``) and exposes what every
page, pipeline and loader relies on from it, so no generator copies the interface into its ``__init__``:

* ``G.z_dim``        -- size of the latent vector ``z`` (a float tensor of shape ``(N, z_dim)``).
* ``G.num_classes``  -- number of class labels it is conditioned on; 0 when unconditional.
* ``G.output``       -- an :class:`~models.spec.OutputSpec`: what one sample is and its value range.
* ``G.latent_dist``  -- how ``z`` is drawn: ``"normal"`` N(0, 1) or ``"uniform"`` U(0, 1).
* ``G.forward(z, labels=None)`` -- see ``models.spec``.

A config only has to carry those four fields (or properties); ``models.latent.sample`` turns seeds into
samples for any generator that follows the contract.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from .spec import OutputSpec


class Generator(nn.Module):
    """Base of every generator: ``Generator(cfg)`` keeps ``cfg`` and reads the interface from it."""

    def __init__(self, cfg: Any):
        super().__init__()
        self.cfg = cfg

    @property
    def z_dim(self) -> int:
        return self.cfg.z_dim

    @property
    def num_classes(self) -> int:
        return self.cfg.num_classes

    @property
    def output(self) -> OutputSpec:
        return self.cfg.output

    @property
    def latent_dist(self) -> str:
        return self.cfg.latent_dist
