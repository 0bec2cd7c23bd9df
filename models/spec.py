"""What a generator produces: the output description every page and loader relies on.

The generator interface shared by every architecture in ``models/``:

* ``G.z_dim``        -- size of the latent vector ``z`` (a float tensor of shape ``(N, z_dim)``).
* ``G.num_classes``  -- number of class labels it is conditioned on; 0 when unconditional.
* ``G.output``       -- an :class:`OutputSpec` saying what ``forward`` returns.
* ``G.forward(z, labels=None)`` -- ``labels`` is an int64 tensor of shape ``(N,)`` when
  ``num_classes > 0`` and must be ``None`` otherwise. Returns a float tensor of shape
  ``(N, *output.shape)`` with values in ``output.value_range``.

Output kinds:

* ``image``  -- ``shape == (channels, height, width)``, NCHW; value range ``(-1, 1)`` for tanh
  networks, ``(0, 1)`` for the sigmoid networks of the MLP tutorials.
* ``vector`` -- a flat pattern such as the 1010 GAN's 4-vector, ``shape == (n,)``.
* ``curve``  -- ``shape == (n,)`` values sampled on a fixed grid (the sine-curve GAN).
* ``points`` -- ``shape == (d,)``, one point in d dimensions per sample (1-D/2-D GANs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the spec is read before torch is imported (the dashboard's first page); the networks import it
    import torch

OUTPUT_KINDS = ("image", "vector", "curve", "points")


@dataclass(frozen=True)
class OutputSpec:
    """Description of one generated sample.

    Args:
        kind: one of ``OUTPUT_KINDS``.
        shape: per-sample shape, without the batch dimension.
        value_range: (low, high) of the values the output activation produces.
    """

    kind: str
    shape: tuple[int, ...]
    value_range: tuple[float, float] = (-1.0, 1.0)

    def __post_init__(self) -> None:
        if self.kind not in OUTPUT_KINDS:
            raise ValueError(f"output kind {self.kind!r} is not one of {OUTPUT_KINDS}")
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        object.__setattr__(self, "value_range", tuple(float(v) for v in self.value_range))
        if any(s <= 0 for s in self.shape) or not self.shape:
            raise ValueError(f"output shape {self.shape} must be non-empty and positive")
        if self.kind == "image" and (len(self.shape) != 3 or self.shape[0] not in (1, 3)):
            raise ValueError(f"image output shape must be (1 or 3, H, W), got {self.shape}")
        lo, hi = self.value_range
        if not lo < hi:
            raise ValueError(f"value_range {self.value_range} must have low < high")

    @property
    def numel(self) -> int:
        """Number of values in one sample."""
        n = 1
        for s in self.shape:
            n *= s
        return n

    def to_unit(self, x: torch.Tensor, clamp: bool = True) -> torch.Tensor:
        """Samples in ``value_range`` -> [0, 1] as float (clamped unless ``clamp`` is False)."""
        return to_unit(x, self.value_range, clamp)

    def from_unit(self, u: Any) -> Any:
        """Values in [0, 1] (a tensor or an array) -> ``value_range``: what the generator would output."""
        return from_unit(u, self.value_range)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "shape": list(self.shape), "value_range": list(self.value_range)}

    @classmethod
    def from_dict(cls, d: dict) -> OutputSpec:
        return cls(kind=d["kind"], shape=tuple(d["shape"]), value_range=tuple(d["value_range"]))


M11 = (-1.0, 1.0)  # the value range of tanh images, and what the classifiers and feature metrics read


def to_unit(x: torch.Tensor, value_range: Sequence[float], clamp: bool = True) -> torch.Tensor:
    """Map a tensor in ``value_range`` to [0, 1] as float (clamped unless ``clamp`` is False)."""
    lo, hi = value_range
    u = (x.float() - lo) / (hi - lo)
    return u.clamp_(0, 1) if clamp else u


def from_unit(u: Any, value_range: Sequence[float]) -> Any:
    """Map values in [0, 1] (a tensor or an array) to ``value_range``."""
    lo, hi = value_range
    return u * (hi - lo) + lo


def one_hot_labels(labels: torch.Tensor | None, num_classes: int, n: int, dtype: torch.dtype) -> torch.Tensor | None:
    """Checked one-hot labels (n, num_classes) for a conditional network, None for an unconditional one.

    Raises ValueError when labels are missing, mis-shaped, or given to an unconditional network.
    """
    if num_classes == 0:
        if labels is not None:
            raise ValueError("this network is unconditional: pass labels=None")
        return None
    if labels is None or labels.shape != (n,):
        raise ValueError(f"this network is conditioned on {num_classes} classes: pass labels of shape ({n},)")
    from torch.nn.functional import one_hot

    return one_hot(labels.long(), num_classes).to(dtype)
