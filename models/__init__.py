"""ganscope models: plain nn.Modules, their frozen config dataclasses and the one loader.

Nothing here knows about optimisers, run folders, Streamlit or devices beyond ``.to()``.
The generator interface every architecture follows is documented in ``models.spec``.

The configs, the output spec and the snapshot header reader need no torch and are imported at once;
the networks and the loader (everything that needs torch) are imported on first use, so the dashboard
can open a run and draw its first page before paying the seconds ``import torch`` takes.
"""

from importlib import import_module

from .config import ConfigError, config_from_dict, config_to_dict
from .configs import CONFIGS, ClassifierConfig, MLPConfig, OnnxConfig, ScalarConfig, arch_name
from .dcgan_config import DCGANConfig, LayerSizeError
from .sequential_config import LayerSpec, SequentialConfig
from .snapshot_file import CheckpointError, atomic_write_bytes, read_header, snapshot_meta
from .spec import OutputSpec

_TORCH_BACKED = {  # name -> the submodule that defines it (imported when the name is first used)
    "ARCHITECTURES": "checkpoint",
    "build_discriminator": "checkpoint",
    "build_generator": "checkpoint",
    "has_discriminator": "checkpoint",
    "load_classifier": "checkpoint",
    "load_discriminator": "checkpoint",
    "plain_discriminator_state": "checkpoint",
    "save_discriminator": "checkpoint",
    "load_generator": "checkpoint",
    "save_classifier": "checkpoint",
    "save_generator": "checkpoint",
    "Classifier": "classifier",
    "DCGANDiscriminator": "dcgan",
    "DCGANGenerator": "dcgan",
    "MLPDiscriminator": "mlp",
    "MLPGenerator": "mlp",
    "OnnxGenerator": "onnx_graph",
    "ScalarDiscriminator": "scalar",
    "ScalarGenerator": "scalar",
    "SequentialGenerator": "sequential",
}


def __getattr__(name: str):
    if name in _TORCH_BACKED:
        value = getattr(import_module(f".{_TORCH_BACKED[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ARCHITECTURES",
    "CONFIGS",
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
    "load_discriminator",
    "load_generator",
    "read_header",
    "save_classifier",
    "save_discriminator",
    "save_generator",
    "snapshot_meta",
]
