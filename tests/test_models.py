"""Architectures: shapes, value ranges, the layer-size check and config round trips."""

import pytest
import torch

from models import (
    ConfigError,
    DCGANConfig,
    DCGANDiscriminator,
    DCGANGenerator,
    LayerSizeError,
    MLPConfig,
    MLPDiscriminator,
    MLPGenerator,
    OutputSpec,
    config_from_dict,
    config_to_dict,
)
from models.dcgan import conv_out, conv_transpose_out


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3), (64, 3), (64, 1), (80, 3)])
def test_dcgan_shapes_and_range(size, channels):
    torch.manual_seed(0)
    cfg = DCGANConfig(image_size=size, channels=channels, ngf=8, ndf=8)
    G, D = DCGANGenerator(cfg), DCGANDiscriminator(cfg)
    x = G(torch.randn(5, cfg.z_dim))
    assert x.shape == (5, channels, size, size)
    assert x.min() >= -1 and x.max() <= 1
    assert D(x).shape == (5,)
    assert G.output == OutputSpec("image", (channels, size, size), (-1.0, 1.0))
    assert G.num_classes == 0 and G.z_dim == 100


def test_dcgan_plan_follows_the_formulas():
    cfg = DCGANConfig(image_size=28, channels=1)
    g = cfg.generator_plan()
    assert [(L.name, L.in_size, L.out_size) for L in g] == [("project", 1, 7), ("up1", 7, 14), ("up2", 14, 28)]
    for L in g[1:]:
        assert L.out_size == conv_transpose_out(L.in_size, L.kernel, L.stride, L.padding)
    d = cfg.discriminator_plan()
    assert [L.out_size for L in d] == [14, 7, 1]
    assert all(L.out_size == conv_out(L.in_size, L.kernel, L.stride, L.padding) for L in d)
    G = DCGANGenerator(cfg)
    # the real network agrees with the plan, layer by layer
    x = torch.randn(2, 100, 1, 1)
    sizes = []
    for m in G.net:
        x = m(x)
        if isinstance(m, torch.nn.ConvTranspose2d):
            sizes.append(x.shape[-1])
    assert sizes == [L.out_size for L in g]


def test_bad_sizes_are_refused_naming_the_layer():
    with pytest.raises(LayerSizeError, match=r"generator layer up1 .* 7x7 to 14x14, but 15x15"):
        DCGANConfig(image_size=30)
    with pytest.raises(LayerSizeError, match=r"up1 \(ConvTranspose2d .*k=3 s=2 p=1\)"):
        DCGANConfig(image_size=28, kernel_size=3)
    with pytest.raises(LayerSizeError, match="image_size 3"):
        DCGANConfig(image_size=3)
    with pytest.raises(ValueError, match="channels"):
        DCGANConfig(channels=2)


def test_conditional_dcgan_uses_labels():
    torch.manual_seed(0)
    cfg = DCGANConfig(image_size=28, channels=1, ngf=8, ndf=8, num_classes=10)
    G, D = DCGANGenerator(cfg), DCGANDiscriminator(cfg)
    z = torch.randn(1, 100).expand(10, -1)
    x = G(z, torch.arange(10))
    assert x.shape == (10, 1, 28, 28)
    assert not torch.allclose(x[0], x[1])  # same z, different class, different image
    assert D(x, torch.arange(10)).shape == (10,)
    with pytest.raises(ValueError, match="labels"):
        G(z)


@pytest.mark.parametrize("act", ["sigmoid", "relu", "leaky_relu", "tanh"])
def test_mlp_family(act):
    out = OutputSpec("image", (1, 28, 28), (0.0, 1.0))
    cfg = MLPConfig(output=out, g_hidden=(32, 16), d_hidden=(16,), activation=act, layernorm=act != "sigmoid")
    G, D = MLPGenerator(cfg), MLPDiscriminator(cfg)
    x = G(torch.randn(4, 100))
    assert x.shape == (4, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    assert D(x).shape == (4,)
    n_ln = sum(isinstance(m, torch.nn.LayerNorm) for m in G.modules())
    assert n_ln == (2 if act != "sigmoid" else 0)


def test_mlp_non_image_and_tanh():
    cfg = MLPConfig(
        output=OutputSpec("vector", (4,), (0.0, 1.0)),
        z_dim=1,
        g_hidden=(4,),
        d_hidden=(3,),
        activation="sigmoid",
        layernorm=False,
        latent_dist="uniform",
    )
    assert MLPGenerator(cfg)(torch.rand(3, 1)).shape == (3, 4)
    with pytest.raises(ValueError, match="value_range"):
        MLPConfig(output=OutputSpec("curve", (64,), (0.0, 1.0)), out_activation="tanh")
    cfg = MLPConfig(output=OutputSpec("curve", (64,), (-1.0, 1.0)), out_activation="tanh", d_dropout=0.4)
    x = MLPGenerator(cfg)(torch.randn(2, 100))
    assert x.shape == (2, 64) and x.abs().max() <= 1


def test_config_round_trip_and_refusals():
    for cfg in (DCGANConfig(image_size=32, num_classes=10), MLPConfig(g_hidden=(7, 9))):
        assert config_from_dict(type(cfg), config_to_dict(cfg)) == cfg
    with pytest.raises(ConfigError, match="no field"):
        config_from_dict(DCGANConfig, {"image_size": 28, "wings": 2})
    with pytest.raises(ConfigError, match="image_size"):
        config_from_dict(DCGANConfig, {"image_size": "28"})
    with pytest.raises(ConfigError, match="30"):
        config_from_dict(DCGANConfig, {"image_size": 30})
