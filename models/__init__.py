"""ganscope models: plain nn.Modules, their frozen config dataclasses and the one loader.

Nothing here knows about optimisers, run folders, Streamlit or devices beyond ``.to()``.
The generator interface every architecture follows is ``models.generator.Generator`` (documented in
``models.spec``).

The configs (``models.config``), the output spec and the snapshot header reader need no torch and are
imported at once; the networks and the loader (everything that needs torch) are imported on first use
(``_LAZY``, as diffusers' ``_import_structure``), so the dashboard can open a run and draw its first page
before paying the seconds ``import torch`` takes. The ``TYPE_CHECKING`` branch imports the same names for
editors and type checkers, which do not run ``__getattr__``.
"""

from importlib import import_module
from typing import TYPE_CHECKING

from .config import (
    CONFIGS,
    ClassifierConfig,
    ConfigError,
    DCGANConfig,
    LayerSizeError,
    LayerSpec,
    MLPConfig,
    OnnxConfig,
    ScalarConfig,
    SequentialConfig,
    arch_name,
    config_from_dict,
    config_to_dict,
)
from .snapshot_file import CheckpointError, atomic_write_bytes, read_header, snapshot_meta
from .spec import OutputSpec

# submodule -> the torch-backed names it defines (imported when one of them is first used)
_LAZY = {
    "checkpoint": (
        "ARCHITECTURES",
        "build_discriminator",
        "build_generator",
        "has_discriminator",
        "load_classifier",
        "load_discriminator",
        "load_generator",
        "plain_discriminator_state",
        "save_classifier",
        "save_discriminator",
        "save_generator",
    ),
    "classifier": ("Classifier",),
    "dcgan": ("DCGANDiscriminator", "DCGANGenerator"),
    "generator": ("Generator",),
    "mlp": ("MLPDiscriminator", "MLPGenerator"),
    "onnx_graph": ("OnnxGenerator",),
    "scalar": ("ScalarDiscriminator", "ScalarGenerator"),
    "sequential": ("SequentialGenerator",),
}
_WHERE = {name: module for module, names in _LAZY.items() for name in names}

if TYPE_CHECKING:
    from .checkpoint import (  # noqa: F401
        ARCHITECTURES,
        build_discriminator,
        build_generator,
        has_discriminator,
        load_classifier,
        load_discriminator,
        load_generator,
        plain_discriminator_state,
        save_classifier,
        save_discriminator,
        save_generator,
    )
    from .classifier import Classifier  # noqa: F401
    from .dcgan import DCGANDiscriminator, DCGANGenerator  # noqa: F401
    from .generator import Generator  # noqa: F401
    from .mlp import MLPDiscriminator, MLPGenerator  # noqa: F401
    from .onnx_graph import OnnxGenerator  # noqa: F401
    from .scalar import ScalarDiscriminator, ScalarGenerator  # noqa: F401
    from .sequential import SequentialGenerator  # noqa: F401


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [  # the eager names and every lazy one
    "CONFIGS",
    "CheckpointError",
    "ClassifierConfig",
    "ConfigError",
    "DCGANConfig",
    "LayerSizeError",
    "LayerSpec",
    "MLPConfig",
    "OnnxConfig",
    "OutputSpec",
    "ScalarConfig",
    "SequentialConfig",
    "arch_name",
    "atomic_write_bytes",
    "config_from_dict",
    "config_to_dict",
    "read_header",
    "snapshot_meta",
    *_WHERE,
]
