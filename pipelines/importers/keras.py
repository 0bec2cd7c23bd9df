"""Keras generators: legacy HDF5 (``g_model.save('generator_model_010.h5')``, as Brownlee's code does)
and the native ``.keras`` zip, read with h5py and the model's JSON config. No TensorFlow, no Keras.

Supported layers, in a Sequential (or a linear Functional) model: Dense, Reshape, Flatten,
Conv2DTranspose and Conv2D (``same`` or ``valid`` padding, any strides), BatchNormalization,
LeakyReLU, ReLU, Activation (tanh, sigmoid, relu, leaky_relu, linear), Dropout and UpSampling2D.
Weights become NCHW (Dense kernels transposed, conv kernels (kh, kw, in, out) -> (out, in, kh, kw),
transposed-conv kernels (kh, kw, out, in) -> (in, out, kh, kw)); a Reshape to (H, W, C) and a
Flatten of a feature map keep Keras' (H, W, C) value order with an ``nhwc`` layout, so no weight
is permuted. Keras' ``same`` padding is TensorFlow's: for a strided convolution the extra row
goes at the bottom/right, and a transposed convolution crops its full output the same way
(kernel 3, stride 2: nothing at the top, one row at the bottom), which ``LayerSpec.padding`` holds.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import torch

from models import LayerSpec, SequentialConfig, SequentialGenerator

from .common import Hints, Imported, ImportFailed, base_record, image_shape, output_spec

ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "leaky_relu": "leaky_relu", "linear": None}
SKIPPED = ("InputLayer", "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout")


def _activation_name(act) -> str | None:
    """'relu' from a Keras activation entry (a name, or a serialised function dict)."""
    if act is None:
        return "linear"
    if isinstance(act, dict):
        act = act.get("config", act.get("class_name"))
        if isinstance(act, dict):
            act = act.get("name")
    return str(act).lower() if act is not None else "linear"


def _same_pad(size: int, k: int, s: int) -> tuple[int, int]:
    """TensorFlow's SAME padding of a strided conv along one axis: (before, after), after >= before."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _transpose_crop(size: int, k: int, s: int, same: bool, output_padding: int | None) -> tuple[int, int, int]:
    """(crop before, crop after, extra at the end) of a Keras Conv2DTranspose along one axis."""
    full = (size - 1) * s + k
    if output_padding is None:
        target = size * s if same else size * s + max(k - s, 0)
        diff = full - target
        if diff < 0:
            return 0, 0, -diff
        return diff // 2, diff - diff // 2, 0
    pad = k // 2 if same else 0
    extra = output_padding - pad
    return pad, max(-extra, 0), max(extra, 0)


class _Builder:
    """Walks the Keras layers, tracking the Keras (NHWC) shape, and collects layer specs and tensors."""

    def __init__(self, path: Path, z_dim: int):
        self.path = path
        self.shape: tuple[int, ...] = (z_dim,)  # Keras order, no batch axis
        self.layers: list[LayerSpec] = []
        self.tensors: dict[str, torch.Tensor] = {}
        self.has_bn = False

    def fail(self, name: str, why: str) -> ImportFailed:
        return ImportFailed(self.path, f"Keras layer {name!r}: {why}")

    def add(self, spec: LayerSpec, **tensors: np.ndarray) -> None:
        j = len(self.layers)
        self.layers.append(spec)
        for k, v in tensors.items():
            self.tensors[f"layers.{j}.{k}"] = torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))

    def activation(self, name: str, act, slope: float = 0.2) -> None:
        a = _activation_name(act)
        if a not in ACTIVATIONS:
            raise self.fail(name, f"activation {a!r} is not supported (supported: {sorted(ACTIVATIONS)})")
        if ACTIVATIONS[a]:
            self.add(LayerSpec(ACTIVATIONS[a], slope=slope) if a == "leaky_relu" else LayerSpec(ACTIVATIONS[a]))

    def layer(self, cls: str, name: str, c: dict, w: list[np.ndarray]) -> None:
        getattr(self, f"_{cls}", self._unsupported)(name, c, w, cls)

    def _unsupported(self, name, c, w, cls) -> None:
        raise self.fail(
            name,
            f"{cls} layers are not supported (supported: Dense, Reshape, Flatten, Conv2D, "
            "Conv2DTranspose, BatchNormalization, LeakyReLU, ReLU, Activation, Dropout, UpSampling2D)",
        )

    def _Dense(self, name, c, w, cls) -> None:
        if len(self.shape) != 1:
            raise self.fail(name, f"a Dense layer on a {list(self.shape)} tensor is not supported: Flatten first")
        kernel = w[0]
        if kernel.shape[0] != self.shape[0]:
            raise self.fail(name, f"kernel {list(kernel.shape)} does not fit {self.shape[0]} inputs")
        bias = c.get("use_bias", True)
        t = {"weight": kernel.T} | ({"bias": w[1]} if bias else {})
        self.add(LayerSpec("linear", (kernel.shape[0], kernel.shape[1]), bias=bias), **t)
        self.shape = (kernel.shape[1],)
        self.activation(name, c.get("activation"))

    def _Reshape(self, name, c, w, cls) -> None:
        target = tuple(int(v) for v in c["target_shape"])
        if len(self.shape) != 1:
            raise self.fail(name, "only reshapes of flat tensors are supported")
        if len(target) == 2:
            target = (*target, 1)
        if len(target) == 1:
            self.shape = target
            return
        if len(target) != 3 or int(np.prod(target)) != self.shape[0]:
            raise self.fail(name, f"cannot reshape {self.shape[0]} values to {list(target)}")
        h, wd, ch = target
        self.add(LayerSpec("reshape", (ch, h, wd), layout="nhwc"))
        self.shape = target

    def _Flatten(self, name, c, w, cls) -> None:
        if len(self.shape) == 3:
            self.add(LayerSpec("flatten", layout="nhwc"))
        self.shape = (int(np.prod(self.shape)),)

    def _conv_common(self, name, c) -> tuple[tuple[int, int], tuple[int, int], bool]:
        if len(self.shape) != 3:
            raise self.fail(name, "a convolution needs a feature map: Reshape to (H, W, C) first")
        if c.get("data_format", "channels_last") != "channels_last":
            raise self.fail(name, "channels_first Keras models are not supported")
        if tuple(c.get("dilation_rate", (1, 1))) not in ((1, 1), (1,)):
            raise self.fail(name, "dilated convolutions are not supported")
        if c.get("groups", 1) != 1:
            raise self.fail(name, "grouped convolutions are not supported")
        k, s = tuple(c["kernel_size"]), tuple(c.get("strides", (1, 1)))
        pad = c.get("padding", "valid").lower()
        if pad not in ("same", "valid"):
            raise self.fail(name, f"padding {pad!r} is not supported")
        return k, s, pad == "same"

    def _Conv2D(self, name, c, w, cls) -> None:
        (kh, kw), (sh, sw), same = self._conv_common(name, c)
        h, wd, cin = self.shape
        kernel = w[0]  # (kh, kw, in, out)
        if kernel.shape[2] != cin:
            raise self.fail(name, f"kernel {list(kernel.shape)} does not fit {cin} input channels")
        pt, pb = _same_pad(h, kh, sh) if same else (0, 0)
        pl, pr = _same_pad(wd, kw, sw) if same else (0, 0)
        bias = c.get("use_bias", True)
        spec = LayerSpec("conv2d", (cin, kernel.shape[3]), (kh, kw), (sh, sw), (pt, pb, pl, pr), bias=bias)
        self.add(spec, weight=kernel.transpose(3, 2, 0, 1), **({"bias": w[1]} if bias else {}))
        self.shape = ((h + pt + pb - kh) // sh + 1, (wd + pl + pr - kw) // sw + 1, kernel.shape[3])
        self.activation(name, c.get("activation"))

    def _Conv2DTranspose(self, name, c, w, cls) -> None:
        (kh, kw), (sh, sw), same = self._conv_common(name, c)
        h, wd, cin = self.shape
        kernel = w[0]  # (kh, kw, out, in)
        if kernel.shape[3] != cin:
            raise self.fail(name, f"kernel {list(kernel.shape)} does not fit {cin} input channels")
        op = c.get("output_padding")
        oph, opw = (None, None) if op is None else (tuple(op) if isinstance(op, (list, tuple)) else (op, op))
        ct, cb, eh = _transpose_crop(h, kh, sh, same, oph)
        cl, cr, ew = _transpose_crop(wd, kw, sw, same, opw)
        bias = c.get("use_bias", True)
        spec = LayerSpec("conv_transpose2d", (cin, kernel.shape[2]), (kh, kw), (sh, sw), (ct, cb, cl, cr), (eh, ew), bias=bias)
        self.add(spec, weight=kernel.transpose(3, 2, 0, 1), **({"bias": w[1]} if bias else {}))
        self.shape = ((h - 1) * sh + kh + eh - ct - cb, (wd - 1) * sw + kw + ew - cl - cr, kernel.shape[2])
        self.activation(name, c.get("activation"))

    def _BatchNormalization(self, name, c, w, cls) -> None:
        axis = c.get("axis", -1)
        axis = axis[0] if isinstance(axis, (list, tuple)) and len(axis) == 1 else axis
        if axis not in (-1, len(self.shape)):
            raise self.fail(name, f"BatchNormalization over axis {axis} is not supported (only the last, channel axis)")
        n = self.shape[-1]
        w = list(w)
        gamma = w.pop(0) if c.get("scale", True) else np.ones(n, np.float32)
        beta = w.pop(0) if c.get("center", True) else np.zeros(n, np.float32)
        if len(w) != 2:
            raise self.fail(name, "its moving mean and variance are missing")
        eps = float(c.get("epsilon", 1e-3))
        self.add(LayerSpec("batchnorm", (n,), eps=eps), weight=gamma, bias=beta, running_mean=w[0], running_var=w[1])
        self.has_bn = True

    def _LeakyReLU(self, name, c, w, cls) -> None:
        self.add(LayerSpec("leaky_relu", slope=float(c.get("negative_slope", c.get("alpha", 0.3)))))

    def _ReLU(self, name, c, w, cls) -> None:
        if c.get("max_value") is not None or c.get("threshold", 0) or c.get("negative_slope", 0):
            raise self.fail(name, "ReLU with max_value, threshold or negative_slope is not supported")
        self.add(LayerSpec("relu"))

    def _Activation(self, name, c, w, cls) -> None:
        self.activation(name, c.get("activation"))

    def _UpSampling2D(self, name, c, w, cls) -> None:
        if len(self.shape) != 3:
            raise self.fail(name, "UpSampling2D needs a feature map")
        size = c.get("size", (2, 2))
        sh, sw = (size, size) if isinstance(size, int) else tuple(size)
        mode = c.get("interpolation", "nearest")
        if mode not in ("nearest", "bilinear"):
            raise self.fail(name, f"interpolation {mode!r} is not supported")
        self.add(LayerSpec("upsample", stride=(sh, sw), mode=mode))
        self.shape = (self.shape[0] * sh, self.shape[1] * sw, self.shape[2])


def _layers_of(path: Path, model_config: dict) -> list[dict]:
    cls = model_config.get("class_name")
    if cls not in ("Sequential", "Functional", "Model"):
        raise ImportFailed(path, f"is a Keras {cls} model; only Sequential and single-chain Functional generators are supported")
    layers = model_config["config"]["layers"]
    for layer in layers:
        inbound = layer.get("inbound_nodes") or []
        if len(inbound) > 1 or layer.get("class_name") in ("Sequential", "Functional"):
            raise ImportFailed(path, f"Keras layer {layer['config'].get('name')!r} is not part of one chain of layers")
    return layers


def _input_dim(layers: list[dict], hints: Hints) -> int | None:
    for layer in layers:
        c = layer["config"]
        shape = c.get("batch_shape") or c.get("batch_input_shape") or (layer.get("build_config") or {}).get("input_shape")
        if shape:
            return int(np.prod([d for d in shape[1:]]))
    return hints.z_dim


def _h5_weights(f, name: str, legacy: bool) -> list[np.ndarray]:
    if legacy:
        g = f["model_weights"][name] if name in f["model_weights"] else None
        if g is None:
            return []
        return [np.asarray(g[n if isinstance(n, str) else n.decode()]) for n in g.attrs.get("weight_names", [])]
    g = _v3_groups(f).get(name)
    return [] if g is None else [np.asarray(g[str(i)]) for i in range(len(g))]


def _v3_groups(f) -> dict:
    """Layer name -> its ``vars`` group in a .keras weights file (groups are named by position in the
    model, e.g. ``layers/dense_1``; the layer's own name is the ``vars`` group's ``name`` attribute)."""
    out = {}
    for key, g in f["layers"].items() if "layers" in f else []:
        if "vars" in g:
            name = g["vars"].attrs.get("name", key)
            out[name.decode() if isinstance(name, bytes) else str(name)] = g["vars"]
    return out


def import_keras(path: Path, hints: Hints) -> Imported:
    """Import a Keras .h5 (legacy HDF5) or .keras (zip) generator."""
    try:
        if zipfile.is_zipfile(path):
            fmt = "keras-v3"
            with zipfile.ZipFile(path) as z:
                config = json.loads(z.read("config.json"))
                f = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
        else:
            fmt = "keras-h5"
            f = h5py.File(path, "r")
            raw = f.attrs.get("model_config")
            if raw is None:
                raise ImportFailed(
                    path, "is an HDF5 file without a Keras model config (weights-only files do not say the architecture)"
                )
            config = json.loads(raw if isinstance(raw, str) else raw.decode())
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ImportFailed(path, f"is a truncated or corrupt Keras file ({type(e).__name__}: {str(e)[:160]})") from None
    with f:
        version = f.attrs.get("keras_version", "3") if fmt == "keras-h5" else "3"
        version = version.decode() if isinstance(version, bytes) else str(version)
        layers = _layers_of(path, config)
        for layer in layers:  # name an unsupported layer before anything else can go wrong on it
            cls = layer.get("class_name", "?") if isinstance(layer, dict) else "?"
            if cls not in SKIPPED and not hasattr(_Builder, f"_{cls}"):
                name = (layer.get("config") or {}).get("name", cls) if isinstance(layer, dict) else cls
                raise ImportFailed(
                    path,
                    f"layer {name!r}: {cls} layers are not supported (supported: Dense, Reshape, Flatten, Conv2D, "
                    "Conv2DTranspose, BatchNormalization, LeakyReLU, ReLU, Activation, Dropout, UpSampling2D)",
                )
        z_dim = _input_dim(layers, hints)
        if not z_dim:
            raise ImportFailed(path, "its config does not say the latent size", "pass --z-dim")
        b = _Builder(path, z_dim)
        try:
            for layer in layers:
                cls, c = layer["class_name"], layer["config"]
                if cls in SKIPPED:
                    continue
                b.layer(cls, c["name"], c, _h5_weights(f, c["name"], fmt == "keras-h5"))
        except (KeyError, IndexError, OSError, TypeError, ValueError) as e:
            raise ImportFailed(path, f"its layers or weights cannot be read ({type(e).__name__}: {str(e)[:160]})") from None
    last = b.layers[-1].kind if b.layers and b.layers[-1].kind in ("tanh", "sigmoid") else None
    if len(b.shape) == 3:
        h, wd, ch = b.shape
        shape, layout = (ch, h, wd), f"NHWC output (N, {h}, {wd}, {ch}) drawn as NCHW"
    else:
        shape = image_shape(path, b.shape[0], hints) or (b.shape[0],)
        layout = f"flat output of {b.shape[0]} values"
        if len(shape) == 3:
            b.add(LayerSpec("reshape", shape, layout="nhwc"))
            layout += f" read as (H, W, C) = {[shape[1], shape[2], shape[0]]}"
    spec, why = output_spec(path, shape, last, hints)
    family = f"Keras {config.get('class_name')} ({len(layers)} layers, Keras {version})"
    try:
        cfg = SequentialConfig(tuple(b.layers), z_dim, spec, hints.latent, hints.batchnorm, family)
    except ValueError as e:
        raise ImportFailed(path, f"its layers do not fit together ({e})") from None
    G = SequentialGenerator(cfg)
    state = G.state_dict()
    for k, v in state.items():
        if k.endswith("num_batches_tracked"):
            b.tensors[k] = torch.zeros_like(v)
        elif k not in b.tensors or b.tensors[k].shape != v.shape:
            raise ImportFailed(path, f"weights do not fit the config at {k}")
    G.load_state_dict(b.tensors)
    record = base_record(path, fmt, family, f"z as (N, {z_dim}); {layout}", spec, why, hints)
    return Imported(cfg, G, record)
