"""Training data as one in-memory uint8 tensor: MNIST, Fashion-MNIST, CIFAR-10 or an image folder.

Small GAN datasets fit in memory (MNIST is 47 MB as uint8), so we load them once and draw
batches by index: no DataLoader workers, and the same tensor can move to the GPU whole.

Sources, tried in order for MNIST and Fashion-MNIST:
1. ``data_dir`` holding the four IDX ``.gz`` (or uncompressed) files, as in ``../shared/data/mnist``;
2. torchvision's layout under ``data_dir`` (``MNIST/raw``...), downloaded there when ``download``.
CIFAR-10 comes from torchvision (``cifar-10-batches-py`` under ``data_dir``, or downloaded).
``folder`` reads every image under ``data_dir`` (nested folders too) with torchvision's
ImageFolder-style rules; unreadable files are skipped and listed with the reason.
"""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, UnidentifiedImageError

from models.spec import from_unit

from .images import IMAGE_EXTENSIONS

if TYPE_CHECKING:  # torch is imported where data is loaded: user_path and the class names are read without it
    import torch

log = logging.getLogger(__name__)

DATASETS = ("mnist", "fashion-mnist", "cifar10", "folder")
MNIST_CLASSES = tuple(str(i) for i in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def user_path(text: str | Path) -> Path:
    """A path as a user typed it, with ``~`` expanded; left as typed when ``~name`` names no user
    (pathlib raises RuntimeError there), so the caller says it is not found instead of crashing."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        return Path(text)


class DataError(RuntimeError):
    """Training data that cannot be found or read; the message says what to do."""


@dataclass
class ImageData:
    """A whole dataset in memory.

    Attributes:
        images: uint8 tensor (N, C, H, W).
        labels: int64 tensor (N,), or all zeros when the data has no classes.
        class_names: names of the label values (empty for unlabelled data).
        skipped: (path, reason) of files that could not be read.
    """

    images: torch.Tensor
    labels: torch.Tensor
    class_names: tuple[str, ...] = ()
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return self.images.shape[0]


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally gzipped), as the MNIST distributions ship them."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read IDX data ({e})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{path}: not an IDX file of unsigned bytes")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    payload = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if payload.size != int(np.prod(dims)):
        raise DataError(f"{path}: truncated IDX file ({payload.size} values, header says {dims})")
    return payload.reshape(dims)


def _find_idx(folder: Path, stem: str) -> Path | None:
    for cand in (folder / f"{stem}.gz", folder / stem, folder / stem.replace("-idx", ".idx")):
        if cand.is_file():
            return cand
    return None


def load_idx_folder(folder: Path, train: bool = True) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Images (N, 1, 28, 28) and labels from a folder of MNIST-style IDX files, or None."""
    prefix = "train" if train else "t10k"
    img = _find_idx(folder, f"{prefix}-images-idx3-ubyte")
    lab = _find_idx(folder, f"{prefix}-labels-idx1-ubyte")
    if img is None or lab is None:
        return None
    images, labels = read_idx(img), read_idx(lab)
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{folder}: {images.shape[0]} images but {labels.shape[0]} labels")
    import torch

    return torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def _torchvision(name: str, root: Path, train: bool, download: bool):
    from torchvision import datasets

    cls = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST, "cifar10": datasets.CIFAR10}[name]
    try:
        return cls(str(root), train=train, download=download)
    except RuntimeError as e:
        hint = "pass --download to fetch it (needs internet)" if not download else "check your connection"
        raise DataError(f"{name} not found under {root} ({e}); {hint}, or point --data-dir at the files") from None


def load_folder(root: Path, image_size: int, channels: int) -> ImageData:
    """Every image under ``root`` (recursively), centre-cropped square and resized."""
    from torchvision.transforms.v2 import functional as F

    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    tensors, skipped = [], []
    mode = "L" if channels == 1 else "RGB"
    for p in files:
        try:
            with Image.open(p) as im:
                im = im.convert(mode)
                t = F.pil_to_tensor(im)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
            skipped.append((str(p), f"{type(e).__name__}: {e}"))
            continue
        side = min(t.shape[1:])
        t = F.center_crop(t, [side, side])
        tensors.append(F.resize(t, [image_size, image_size], antialias=True))
    for path, reason in skipped:
        log.warning("skipped %s: %s", path, reason)
    if not tensors:
        raise DataError(f"no readable images under {root} ({len(skipped)} unreadable)")
    import torch

    images = torch.stack(tensors)
    return ImageData(images, torch.zeros(len(images), dtype=torch.int64), (), skipped)


def _fit(images: torch.Tensor, image_size: int, channels: int) -> torch.Tensor:
    """Resize and convert channels of a uint8 (N, C, H, W) tensor to what a model needs."""
    from torchvision.transforms.v2 import functional as F

    if images.shape[-1] != image_size or images.shape[-2] != image_size:
        images = F.resize(images, [image_size, image_size], antialias=True)
    if images.shape[1] == 1 and channels == 3:
        images = images.expand(-1, 3, -1, -1).contiguous()
    elif images.shape[1] == 3 and channels == 1:
        images = F.rgb_to_grayscale(images)
    return images


def load_dataset(
    name: str,
    data_dir: str | Path,
    image_size: int,
    channels: int,
    train: bool = True,
    download: bool = False,
    limit: int = 0,
) -> ImageData:
    """Load a dataset as uint8 (N, channels, image_size, image_size).

    Args:
        name: one of DATASETS.
        data_dir: folder with the data (see module docstring).
        image_size, channels: what the model needs; images are resized/converted once here.
        train: training split (test split otherwise; ignored for folders).
        download: let torchvision fetch the data into ``data_dir`` when it is missing.
        limit: keep only the first ``limit`` images (0 keeps all).
    """
    import torch

    root = user_path(data_dir)
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose from {DATASETS}")
    if name == "folder":
        data = load_folder(root, image_size, channels)
    elif name in ("mnist", "fashion-mnist"):
        classes = MNIST_CLASSES if name == "mnist" else FASHION_CLASSES
        found = load_idx_folder(root, train) if root.is_dir() else None
        if found is None:
            ds = _torchvision(name, root, train, download)
            found = ds.data.unsqueeze(1).clone(), ds.targets.clone().long()
        data = ImageData(found[0], found[1], classes)
    else:
        ds = _torchvision(name, root, train, download)
        images = torch.from_numpy(np.ascontiguousarray(ds.data)).permute(0, 3, 1, 2)
        data = ImageData(images, torch.as_tensor(ds.targets, dtype=torch.int64), tuple(ds.classes))
    if limit:
        data.images, data.labels = data.images[:limit], data.labels[:limit]
    data.images = _fit(data.images, image_size, channels).contiguous()
    return data


def to_range(images_u8: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    """uint8 images -> float in ``value_range`` ((-1, 1) for tanh nets, (0, 1) for sigmoid)."""
    return from_unit(images_u8.float().div_(255.0), value_range)
