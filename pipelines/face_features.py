"""A face feature space that ships inside a wheel: the O-Net of facenet-pytorch's MTCNN.

MTCNN's last stage, O-Net, looks at a 48×48 RGB face and says whether it is a face, where its box
is and where its five landmarks (eyes, nose, mouth corners) are. All three heads read one 256-d layer
(``dense5`` after its PReLU): that layer is what we embed images in. Its weights are
``facenet_pytorch/data/onet.pt`` inside the facenet-pytorch wheel (the cropping job already needs
them), so nothing is downloaded and nothing is added to ``checkpoints/``.

Why O-Net rather than a small identity classifier trained on the ORL crops: see docs/diagnostics.md,
"Face runs", and ``benchmarks/face_features.py``. In short, O-Net was trained on many thousands of faces for exactly the things a
smeared face gets wrong (is it a face, are the eyes, nose and mouth where a face has them), while a
classifier trained on 400 photos of 40 people learns who is in the photo, which a GAN that blends
people cannot and need not get right.

Images go in as ``ganscope`` images (N, C, H, W) in [-1, 1], grey or RGB, of any size. The crops made
by ``ganscope-crop-faces`` hold the face box grown by a margin (0.2 by default) of its side; O-Net saw
the box itself in training, so the centre ``1 / (1 + margin)`` of each image is taken and resized to
48×48 first.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ONET_SIZE = 48  # O-Net's input side
CROP_MARGIN = 0.2  # ganscope-crop-faces' default --margin: the face box is the centre 1/1.2 of a crop
FEATURE_SPACE = "mtcnn-onet-256"  # recorded with every face-feature metric record


class FeatureError(RuntimeError):
    """The face feature extractor cannot be built here (facenet-pytorch or its weights missing)."""


@lru_cache(maxsize=1)
def onet() -> torch.nn.Module:
    """facenet-pytorch's O-Net with the weights from its wheel, in eval mode with gradients off."""
    try:
        import facenet_pytorch
        from facenet_pytorch.models.mtcnn import ONet
    except ImportError as e:  # pragma: no cover - facenet-pytorch is a dependency
        raise FeatureError(f"face features need facenet-pytorch (pip install facenet-pytorch): {e}") from e
    path = Path(facenet_pytorch.__file__).parent / "data" / "onet.pt"
    if not path.is_file():
        raise FeatureError(f"face features need O-Net's weights, which should ship in the facenet-pytorch wheel at {path}")
    net = ONet(pretrained=False)
    try:
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    except Exception as e:  # noqa: BLE001 - any failure reads the same to the user
        raise FeatureError(f"{path} is not a plain O-Net state dict; reinstall facenet-pytorch ({type(e).__name__})") from None
    return net.eval().requires_grad_(False)


def to_onet_input(images_m11: torch.Tensor, margin: float = CROP_MARGIN) -> torch.Tensor:
    """(N, C, H, W) in [-1, 1] -> O-Net's input (N, 3, 48, 48): the centre face box, RGB, MTCNN's scaling."""
    x = images_m11.float()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    h, w = x.shape[-2:]
    ch, cw = max(1, round(h / (1 + margin))), max(1, round(w / (1 + margin)))
    top, left = (h - ch) // 2, (w - cw) // 2
    x = x[..., top : top + ch, left : left + cw]
    x = F.interpolate(x, size=(ONET_SIZE, ONET_SIZE), mode="bilinear", align_corners=False, antialias=True)
    return x * (127.5 / 128)  # MTCNN feeds (pixel - 127.5) / 128 for pixels in [0, 255]


def _trunk(net: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """O-Net's forward up to dense5 + PReLU (its ``forward`` returns only the three heads)."""
    for i in (1, 2, 3):
        x = getattr(net, f"pool{i}")(getattr(net, f"prelu{i}")(getattr(net, f"conv{i}")(x)))
    x = net.prelu4(net.conv4(x))
    x = x.permute(0, 3, 2, 1).contiguous()  # Caffe's flattening order, as O-Net's own forward
    return net.prelu5(net.dense5(x.reshape(len(x), -1)))


@torch.inference_mode()
def face_embed(images_m11: torch.Tensor, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """(256-d O-Net features (N, 256) float64, face probabilities (N,)) of images in [-1, 1]."""
    net = onet()
    feats, probs = [], []
    for i in range(0, len(images_m11), batch):
        f = _trunk(net, to_onet_input(images_m11[i : i + batch]))
        feats.append(f)
        probs.append(torch.softmax(net.dense6_1(f), dim=1)[:, 1])
    if not feats:
        return np.zeros((0, 256)), np.zeros(0)
    return torch.cat(feats).numpy().astype(np.float64), torch.cat(probs).numpy().astype(np.float64)
