"""Every architecture config, without torch: what a snapshot header or a run's config.json names.

One place for the frozen config dataclasses (``DCGANConfig``, ``MLPConfig``, ``ScalarConfig``,
``SequentialConfig`` with its ``LayerSpec`` list, ``OnnxConfig``, ``ClassifierConfig``), the one registry of
them (``CONFIGS``: arch name -> config class) and their checked JSON round trip (``config_to_dict``,
``config_from_dict``). The networks they describe live beside them in ``models/`` and need torch; keeping the
configs apart lets the dashboard read a run and draw its first page before torch is imported
(tests/test_first_visit.py checks that nothing on the first page's path imports torch).

Files: ``fields.py`` (the JSON round trip), ``dcgan.py`` (the DCGAN config and its layer plan),
``sequential.py`` (the layer list of imported generators), ``architectures.py`` (the other, smaller configs).
"""

from __future__ import annotations

from typing import Any

from .architectures import (
    ACTIVATIONS,
    LATENT_DISTS,
    OUT_ACTIVATIONS,
    OUTPUT_LAYOUTS,
    RUNTIMES,
    ClassifierConfig,
    MLPConfig,
    OnnxConfig,
    ScalarConfig,
)
from .dcgan import DCGANConfig, Layer, LayerSizeError, conv_out, conv_transpose_out
from .fields import ConfigError, config_from_dict, config_to_dict
from .sequential import BATCHNORM_MODES, LAYER_KINDS, LAYOUTS, LayerFitError, LayerSpec, SequentialConfig

# arch name -> config class: the names snapshot headers and config.json files use
CONFIGS: dict[str, type] = {
    "mlp": MLPConfig,
    "dcgan": DCGANConfig,
    "scalar": ScalarConfig,
    "sequential": SequentialConfig,  # generators trained elsewhere (ganscope-import)
    "onnx": OnnxConfig,
}


def arch_name(cfg: Any) -> str:
    """The CONFIGS key of a config instance."""
    for name, cfg_cls in CONFIGS.items():
        if isinstance(cfg, cfg_cls):
            return name
    raise TypeError(f"{type(cfg).__name__} is not a registered architecture config")


__all__ = [
    "ACTIVATIONS",
    "BATCHNORM_MODES",
    "CONFIGS",
    "LATENT_DISTS",
    "LAYER_KINDS",
    "LAYOUTS",
    "OUTPUT_LAYOUTS",
    "OUT_ACTIVATIONS",
    "RUNTIMES",
    "ClassifierConfig",
    "ConfigError",
    "DCGANConfig",
    "Layer",
    "LayerFitError",
    "LayerSizeError",
    "LayerSpec",
    "MLPConfig",
    "OnnxConfig",
    "ScalarConfig",
    "SequentialConfig",
    "arch_name",
    "config_from_dict",
    "config_to_dict",
    "conv_out",
    "conv_transpose_out",
]
