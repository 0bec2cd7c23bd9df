"""ganscope models: plain nn.Modules, their frozen config dataclasses and the one loader.

Nothing here knows about optimisers, run folders, Streamlit or devices beyond ``.to()``.
The generator interface every architecture follows is documented in ``models.spec``.
"""

from .checkpoint import (
    ARCHITECTURES,
    CheckpointError,
    arch_name,
    atomic_write_bytes,
    build_discriminator,
    build_generator,
    load_classifier,
    load_generator,
    read_header,
    save_classifier,
    save_generator,
    snapshot_meta,
)
from .classifier import Classifier, ClassifierConfig
from .config import ConfigError, config_from_dict, config_to_dict
from .dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator, LayerSizeError
from .mlp import MLPConfig, MLPDiscriminator, MLPGenerator
from .scalar import ScalarConfig, ScalarDiscriminator, ScalarGenerator
from .spec import OutputSpec

__all__ = [
    "ARCHITECTURES",
    "CheckpointError",
    "Classifier",
    "ClassifierConfig",
    "ConfigError",
    "DCGANConfig",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "LayerSizeError",
    "MLPConfig",
    "MLPDiscriminator",
    "MLPGenerator",
    "OutputSpec",
    "ScalarConfig",
    "ScalarDiscriminator",
    "ScalarGenerator",
    "arch_name",
    "atomic_write_bytes",
    "build_discriminator",
    "build_generator",
    "config_from_dict",
    "config_to_dict",
    "load_classifier",
    "load_generator",
    "read_header",
    "save_classifier",
    "save_generator",
    "snapshot_meta",
]
