"""PyTorch generators: state dicts read with ``torch.load(..., weights_only=True)`` (or safetensors),
recognised by their keys and shapes, and ganscope's own snapshots and resume states.

Families:

* pytorch/examples ``dcgan/main.py`` ``Generator`` (also the PyTorch DCGAN tutorial): ``main.0.weight``
  (nz, ngf*8, 4, 4), then ConvTranspose2d(4, 2, 1) + BatchNorm2d + ReLU blocks, a last
  ConvTranspose2d to ``nc`` channels and tanh. ``nz``, ``ngf``, ``nc`` and the image size
  (4 * 2**(layers - 1)) come from the shapes, so any ``--ngf``/``--nz`` and any depth work.
* *Make Your Own GAN*'s MNIST generator (``08_gan_mnist.ipynb``): ``model.0`` Linear(100, 200),
  LeakyReLU(0.02), ``model.2`` LayerNorm(200), ``model.3`` Linear(200, 784), sigmoid; and its first
  attempt (``07_gan_mnist_first_attempt``): Linear, sigmoid, Linear, sigmoid. 784 values are 1x28x28.
* ganscope: a snapshot (``*.safetensors`` with our header) or a resume state ``state.pt`` with the
  run's ``config.json`` beside it; the architecture is ganscope's own.

A whole pickled module (``torch.save(netG, ...)``) is refused: weights_only loading names the class
it would have to import, and we say how to save a state dict instead. Nothing in the file runs.
"""

from __future__ import annotations

import pickle
import re
import zipfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from models import CheckpointError, LayerSpec, SequentialConfig, SequentialGenerator, build_generator, load_generator

from .. import runs
from .common import Hints, Imported, ImportFailed, ImportRecord, base_record, image_shape, output_spec

SAVE_ADVICE = "load it in the code that defines its class and save its weights instead: torch.save(netG.state_dict(), 'netG.pth')"
NESTED_KEYS = ("netG", "G", "generator", "gen", "g_model", "state_dict", "model", "model_state_dict")


def load_torch(path: Path) -> object:
    """``torch.load`` with weights_only=True; every failure becomes one ImportFailed sentence."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"(?:GLOBAL|Unsupported class) ([\w.]+)", str(e))
        what = f" (it names {found.group(1)})" if found else ""
        raise ImportFailed(
            path,
            f"is a pickled Python object{what}, not a state dict, and ganscope never runs code from a file; "
            f"if it is a whole model saved with torch.save(netG, ...), {SAVE_ADVICE}",
        ) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, KeyError, IndexError) as e:
        raise ImportFailed(path, f"is truncated or corrupt: torch cannot read it ({type(e).__name__}: {str(e)[:160]})") from None


def state_dict_of(path: Path, obj: object) -> dict[str, torch.Tensor]:
    """The generator's tensors in a loaded object: a state dict, or one nested in a checkpoint dict."""
    if isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        sd = obj
    elif isinstance(obj, dict):
        nested = next((obj[k] for k in NESTED_KEYS if isinstance(obj.get(k), dict)), None)
        if nested is None:
            raise ImportFailed(path, f"holds a dict without a generator state dict (keys: {sorted(map(str, obj))[:8]})")
        return state_dict_of(path, nested)
    else:
        raise ImportFailed(path, f"holds a {type(obj).__name__}, not a state dict; {SAVE_ADVICE}")
    return {re.sub(r"^(module\.|_orig_mod\.)", "", k): v for k, v in sd.items()}


def _load(path: Path, cfg: SequentialConfig, mapped: dict[str, torch.Tensor]) -> SequentialGenerator:
    G = SequentialGenerator(cfg)
    want = G.state_dict()
    for k, v in want.items():
        if k not in mapped and k.endswith("num_batches_tracked"):
            mapped[k] = torch.zeros_like(v)
        elif k not in mapped:
            raise ImportFailed(path, f"has no tensor for {k}")
        elif tuple(mapped[k].shape) != tuple(v.shape):
            raise ImportFailed(path, f"a tensor has shape {list(mapped[k].shape)} where {list(v.shape)} fits ({k})")
    G.load_state_dict({k: mapped[k].float() if mapped[k].is_floating_point() else mapped[k] for k in want})
    return G


def dcgan_examples(path: Path, sd: dict[str, torch.Tensor], hints: Hints) -> Imported:
    """The pytorch/examples DCGAN Generator, any nz/ngf/nc/depth."""
    idx = sorted({int(m.group(1)) for k in sd if (m := re.match(r"main\.(\d+)\.", k))})
    convs = [i for i in idx if sd[f"main.{i}.weight"].dim() == 4]
    if not convs or convs[0] != 0:
        raise ImportFailed(path, "main.0.weight is not a ConvTranspose2d weight: not the pytorch/examples DCGAN layout")
    nz = sd["main.0.weight"].shape[0]
    layers = [LayerSpec("reshape", (nz, 1, 1))]
    mapped: dict[str, torch.Tensor] = {}
    ch = nz
    for n, i in enumerate(convs):
        w = sd[f"main.{i}.weight"]
        if w.shape[0] != ch or tuple(w.shape[2:]) != (4, 4):
            raise ImportFailed(
                path, f"main.{i}.weight has shape {list(w.shape)}: the DCGAN layout needs ({ch}, out, 4, 4) after {ch} channels"
            )
        first = n == 0
        crop = (0, 0, 0, 0) if first else (1, 1, 1, 1)
        bias = f"main.{i}.bias" in sd
        layers.append(LayerSpec("conv_transpose2d", (ch, w.shape[1]), (4, 4), (1, 1) if first else (2, 2), crop, bias=bias))
        j = len(layers) - 1
        mapped[f"layers.{j}.weight"] = w
        if bias:
            mapped[f"layers.{j}.bias"] = sd[f"main.{i}.bias"]
        ch = w.shape[1]
        if n < len(convs) - 1:
            bn = f"main.{i + 1}"
            if f"{bn}.running_mean" not in sd or sd[f"{bn}.weight"].shape != (ch,):
                raise ImportFailed(path, f"{bn} should be a BatchNorm2d over {ch} channels after main.{i}")
            layers += [LayerSpec("batchnorm", (ch,)), LayerSpec("relu")]
            for part in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
                if f"{bn}.{part}" in sd:
                    mapped[f"layers.{len(layers) - 2}.{part}"] = sd[f"{bn}.{part}"]
    layers.append(LayerSpec("tanh"))
    size = 4 * 2 ** (len(convs) - 1)
    spec, why = output_spec(path, (ch, size, size), "tanh", hints)
    if spec.kind != "image":
        raise ImportFailed(path, f"the last layer makes {ch} channels; an image needs 1 or 3")
    ngf = sd["main.0.weight"].shape[1] // 2 ** max(len(convs) - 2, 0)  # the first block has ngf * 2**(layers - 2) channels
    family = f"pytorch/examples dcgan Generator (nz={nz}, ngf={ngf}, nc={ch})"
    cfg = SequentialConfig(tuple(layers), nz, spec, hints.latent, hints.batchnorm, family)
    record = base_record(path, "pytorch-state-dict", family, f"z as (N, {nz}, 1, 1); NCHW output", spec, why, hints)
    return Imported(cfg, _load(path, cfg, mapped), record)


def myo_mlp(path: Path, sd: dict[str, torch.Tensor], hints: Hints) -> Imported:
    """Make Your Own GAN's MNIST generators (08: LeakyReLU + LayerNorm; 07 first attempt: sigmoid)."""
    w0 = sd["model.0.weight"]
    if sd["model.2.weight"].dim() == 1:  # 08_gan_mnist: Linear, LeakyReLU(0.02), LayerNorm, Linear, Sigmoid
        hidden, out = w0.shape[0], sd["model.3.weight"].shape[0]
        layers = [
            LayerSpec("linear", (w0.shape[1], hidden)),
            LayerSpec("leaky_relu", slope=0.02),
            LayerSpec("layernorm", (hidden,)),
            LayerSpec("linear", (hidden, out)),
            LayerSpec("sigmoid"),
        ]
        names = {0: "model.0", 2: "model.2", 3: "model.3"}
        family = "Make Your Own GAN MNIST generator (08_gan_mnist: LeakyReLU 0.02 + LayerNorm)"
    else:  # 07_gan_mnist_first_attempt: Linear, Sigmoid, Linear, Sigmoid
        hidden, out = w0.shape[0], sd["model.2.weight"].shape[0]
        layers = [
            LayerSpec("linear", (w0.shape[1], hidden)),
            LayerSpec("sigmoid"),
            LayerSpec("linear", (hidden, out)),
            LayerSpec("sigmoid"),
        ]
        names = {0: "model.0", 2: "model.2"}
        family = "Make Your Own GAN MNIST generator (first attempt: sigmoid)"
    shape = _image_or_flat(path, out, hints)
    layers.append(LayerSpec("reshape", shape))
    spec, why = output_spec(path, shape, "sigmoid", hints)
    cfg = SequentialConfig(tuple(layers), w0.shape[1], spec, hints.latent, hints.batchnorm, family)
    mapped = {f"layers.{j}.{p}": sd[f"{n}.{p}"] for j, n in names.items() for p in ("weight", "bias") if f"{n}.{p}" in sd}
    record = base_record(
        path, "pytorch-state-dict", family, f"z as (N, {w0.shape[1]}); {out} values drawn as {list(shape)}", spec, why, hints
    )
    return Imported(cfg, _load(path, cfg, mapped), record)


def _image_or_flat(path: Path, numel: int, hints: Hints) -> tuple[int, ...]:
    """(C, H, W) when ``numel`` values make a square image, else (numel,)."""
    shape = image_shape(path, numel, hints)
    return shape if shape else (numel,)


def ganscope_snapshot(path: Path) -> Imported:
    """A ganscope snapshot: its header already says everything."""
    try:
        G, cfg = load_generator(path)
    except CheckpointError as e:
        raise ImportFailed(path, e.problem) from None
    return Imported(cfg, G, ImportRecord.ganscope(path, "ganscope-snapshot", cfg))


def ganscope_state(path: Path, obj: dict) -> Imported:
    """A ganscope resume state (``state.pt``), with its run's config.json beside it."""
    try:
        cfg = runs.read_config(path.parent).model
    except runs.RunError as e:
        raise ImportFailed(path, f"is a ganscope resume state, but its run's config.json is not beside it ({e})") from None
    G = build_generator(cfg)
    try:
        G.load_state_dict(obj["G"])
    except (RuntimeError, KeyError) as e:
        raise ImportFailed(path, f"its generator weights do not fit the config beside it ({str(e)[:200]})") from None
    return Imported(cfg, G.eval(), ImportRecord.ganscope(path, "ganscope-state", cfg))


def import_torch(path: Path, hints: Hints, safetensors: bool = False) -> Imported:
    """Recognise and import a PyTorch file (torch.save zip or legacy pickle, or safetensors)."""
    if safetensors:
        try:
            obj = load_file(str(path))
        except (SafetensorError, OSError, ValueError) as e:
            raise ImportFailed(path, f"is a truncated or corrupt safetensors file ({e})") from None
    else:
        obj = load_torch(path)
        if isinstance(obj, dict) and isinstance(obj.get("G"), dict) and "step" in obj:
            return ganscope_state(path, obj)
    sd = state_dict_of(path, obj)
    keys = set(sd)
    if "main.0.weight" in keys:
        return dcgan_examples(path, sd, hints)
    if {"model.0.weight", "model.2.weight"} <= keys:
        return myo_mlp(path, sd, hints)
    if any(k.startswith("net.") for k in keys):
        raise ImportFailed(
            path,
            "looks like a ganscope generator's bare state dict, which does not say its architecture: "
            "import its run's snapshot (snapshots/*.safetensors) or state.pt beside config.json instead",
        )
    raise ImportFailed(
        path,
        f"is a state dict of no generator family ganscope knows (first keys: {sorted(keys)[:5]}); known: "
        "pytorch/examples dcgan (main.*), Make Your Own GAN (model.*), ganscope snapshots",
    )
