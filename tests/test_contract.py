"""The generator contract as code: the base class, the value-range mapping, seeds -> samples, typed errors."""

from pathlib import Path

import pytest
import torch
from PIL import Image

from models import DCGANConfig, DCGANGenerator, MLPConfig, MLPGenerator, OutputSpec, ScalarConfig, load_generator
from models.generator import Generator
from models.latent import sample, sample_latents, seed_latents
from models.spec import M11, from_unit, to_unit
from pipelines.faces import PhotoError, open_photo

ROOT = Path(__file__).resolve().parents[1]


def test_every_generator_reads_the_interface_from_its_config():
    from models.scalar import ScalarGenerator

    cfg = MLPConfig(z_dim=7, num_classes=3, latent_dist="uniform", g_hidden=(8,), d_hidden=(8,))
    dcgan = DCGANGenerator(DCGANConfig(image_size=28, channels=1, ngf=4, ndf=4))
    for G in (MLPGenerator(cfg), dcgan, ScalarGenerator(ScalarConfig())):
        assert isinstance(G, Generator)
        assert (G.z_dim, G.num_classes, G.output, G.latent_dist) == (
            G.cfg.z_dim,
            G.cfg.num_classes,
            G.cfg.output,
            G.cfg.latent_dist,
        )
    assert MLPGenerator(cfg).latent_dist == "uniform" and MLPGenerator(cfg).num_classes == 3


def test_output_spec_maps_to_and_from_unit_exactly_as_the_old_arithmetic():
    spec = OutputSpec("image", (1, 2, 2), (-1.0, 1.0))
    x = torch.linspace(-1.5, 1.5, 101)
    assert torch.equal(spec.to_unit(x), ((x - -1.0) / 2.0).clamp(0, 1))
    assert torch.equal(spec.to_unit(x, clamp=False), (x + 1) / 2)
    u = torch.rand(50)
    assert torch.equal(spec.from_unit(u), u * 2 - 1)
    assert torch.equal(from_unit(u, M11), u * 2 - 1)
    sig = OutputSpec("image", (1, 2, 2), (0.0, 1.0))
    assert torch.equal(from_unit(sig.to_unit(u, clamp=False), M11), (u - 0) / (1 - 0) * 2 - 1)
    assert torch.equal(to_unit(u, (0.0, 2.0)), u / 2)


def test_sample_is_bit_identical_to_the_blocks_it_replaced():
    G, cfg = load_generator(ROOT / "checkpoints" / "mnist-dcgan")
    seeds = range(1_000_000, 1_000_040)
    z = sample_latents(seeds, G.z_dim, G.latent_dist)
    labels = torch.arange(40) % G.num_classes if G.num_classes else None
    with torch.inference_mode():
        old = G(z, labels).float()
    assert torch.equal(sample(G, seeds), old)
    with torch.inference_mode():
        chunks = [G(z[i : i + 7], None if labels is None else labels[i : i + 7]) for i in range(0, 40, 7)]
    assert torch.equal(sample(G, seeds, batch=7), torch.cat(chunks))
    assert torch.equal(seed_latents(G, [3], psi=0.5), sample_latents([3], G.z_dim) * 0.5)


def test_uniform_latents_are_truncated_toward_one_half():
    G = MLPGenerator(MLPConfig(z_dim=4, latent_dist="uniform", g_hidden=(8,), d_hidden=(8,)))
    z = sample_latents([5], 4, "uniform")
    assert torch.allclose(seed_latents(G, [5], psi=0.0), torch.full((1, 4), 0.5))
    assert torch.equal(seed_latents(G, [5]), z)


def test_a_photo_that_is_too_large_raises_a_typed_error_with_its_status(tmp_path):
    Image.new("L", (400, 400)).save(tmp_path / "big.png")
    with pytest.raises(PhotoError) as e:
        open_photo(tmp_path / "big.png", max_pixels=10_000)
    assert e.value.status == "too_large" and "10,000 pixels" in e.value.reason
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(PhotoError) as e:
        open_photo(tmp_path / "empty.png")
    assert (e.value.status, str(e.value)) == ("unreadable", "unreadable: the file is empty (0 bytes)")


def test_the_lazy_names_of_models_are_the_names_its_type_checking_branch_imports():
    """Editors resolve ``from models import load_generator`` through the TYPE_CHECKING branch; the lazy table
    serves it at run time: the two must list the same names from the same submodules."""
    import ast

    import models

    tree = ast.parse((ROOT / "models" / "__init__.py").read_text())
    branch = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    imported = {(node.module, a.name) for node in branch.body for a in node.names}
    assert imported == {(module, name) for module, names in models._LAZY.items() for name in names}
    assert all(name in models.__all__ and getattr(models, name) is not None for _, name in imported)


def test_a_training_folder_reads_every_image_kind_pillow_opens_pbm_included(tmp_path):
    """The folder loader and the face cropper accept the same files: a PBM (1-bit) photo used to be cropped
    and offered by the Project page's uploader, but left out of a training folder."""
    from pipelines.data import load_folder
    from pipelines.faces import IMAGE_EXTENSIONS as CROPPED
    from pipelines.images import IMAGE_EXTENSIONS

    Image.new("1", (16, 16), 1).save(tmp_path / "a.pbm")
    Image.new("L", (16, 16), 80).save(tmp_path / "b.png")
    data = load_folder(tmp_path, 8, 1)
    assert len(data.images) == 2 and not data.skipped
    assert ".pbm" in IMAGE_EXTENSIONS and CROPPED is IMAGE_EXTENSIONS
