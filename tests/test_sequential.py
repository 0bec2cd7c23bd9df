"""The layer-list generator imported networks become: config round trip, size checks that name the
layer, BatchNorm modes, and no discriminator."""

from __future__ import annotations

import pytest
import torch

from models import LayerSpec, OutputSpec, SequentialConfig, build_discriminator, has_discriminator, load_generator, save_generator
from models.config import config_from_dict, config_to_dict
from models.sequential import LayerFitError, SequentialGenerator

LAYERS = (
    LayerSpec("linear", (8, 4 * 4 * 6)),
    LayerSpec("batchnorm", (96,), eps=1e-3),
    LayerSpec("leaky_relu", slope=0.2),
    LayerSpec("reshape", (6, 4, 4), layout="nhwc"),
    LayerSpec("conv_transpose2d", (6, 3), (3, 3), (2, 2), (0, 1, 0, 1)),
    LayerSpec("tanh"),
)


def test_config_round_trip_and_snapshot(tmp_path):
    cfg = SequentialConfig(LAYERS, 8, OutputSpec("image", (3, 8, 8)))
    d = config_to_dict(cfg)
    assert d["layers"][2] == {"kind": "leaky_relu", "slope": 0.2}  # defaults left out
    assert config_from_dict(SequentialConfig, d) == cfg
    G = SequentialGenerator(cfg)
    save_generator(tmp_path / "g.safetensors", G, cfg, dtype=torch.float32)
    G2, cfg2 = load_generator(tmp_path / "g.safetensors")
    z = torch.randn(3, 8)
    assert cfg2 == cfg and torch.equal(G2(z), G.eval()(z))


def test_sizes_that_do_not_fit_name_the_layer():
    with pytest.raises(LayerFitError, match=r"layer 4 \(conv_transpose2d size=\[5, 3\].*needs a feature map with 5 channels"):
        SequentialConfig(LAYERS[:4] + (LayerSpec("conv_transpose2d", (5, 3), (3, 3), (2, 2)),), 8, OutputSpec("image", (3, 8, 8)))
    with pytest.raises(LayerFitError, match=r"the layers make samples of shape \[3, 8, 8\], but the output is \[3, 16, 16\]"):
        SequentialConfig(LAYERS, 8, OutputSpec("image", (3, 16, 16)))


def test_batchnorm_modes():
    G = SequentialGenerator(SequentialConfig(LAYERS, 8, OutputSpec("image", (3, 8, 8)))).eval()
    z = torch.randn(6, 8)
    running = G(z)
    G.set_batchnorm_mode("batch")
    batch = G(z)
    assert not torch.allclose(running, batch)
    assert torch.allclose(G(z[:1]), running[:1])  # a lone sample has no batch statistics: running ones are used
    assert G.layers[1].running_mean.abs().sum() == 0  # batch statistics never update the running ones


def test_imported_generators_have_no_discriminator():
    cfg = SequentialConfig(LAYERS, 8, OutputSpec("image", (3, 8, 8)))
    assert not has_discriminator(cfg)
    with pytest.raises(ValueError, match="no discriminator"):
        build_discriminator(cfg)
