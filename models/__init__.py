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
    has_discriminator,
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
from .onnx_graph import OnnxConfig, OnnxGenerator
from .scalar import ScalarConfig, ScalarDiscriminator, ScalarGenerator
from .sequential import LayerSpec, SequentialConfig, SequentialGenerator
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
    "LayerSpec",
    "MLPConfig",
    "MLPDiscriminator",
    "MLPGenerator",
    "OnnxConfig",
    "OnnxGenerator",
    "OutputSpec",
    "ScalarConfig",
    "ScalarDiscriminator",
    "ScalarGenerator",
    "SequentialConfig",
    "SequentialGenerator",
    "arch_name",
    "atomic_write_bytes",
    "build_discriminator",
    "build_generator",
    "config_from_dict",
    "config_to_dict",
    "has_discriminator",
    "load_classifier",
    "load_generator",
    "read_header",
    "save_classifier",
    "save_generator",
    "snapshot_meta",
]
