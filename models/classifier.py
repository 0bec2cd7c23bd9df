"""A small CNN classifier for 28x28 (or any s*4) images: the feature space our quality metrics use.

No Inception weights can be downloaded here, so MNIST and Fashion-MNIST samples are judged by
classifiers trained on the real training sets (``ganscope-train-classifier``). ``features``
gives the penultimate 128-d embedding (for Fréchet distance, KID, precision/recall);
``forward`` gives class logits.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import ClassifierConfig  # noqa: F401 - re-exported


class Classifier(nn.Module):
    """images (N, C, H, W) in [-1, 1] -> logits (N, num_classes)."""

    def __init__(self, cfg: ClassifierConfig):
        super().__init__()
        self.cfg = cfg
        w, s = cfg.width, cfg.image_size // 4
        self.body = nn.Sequential(
            nn.Conv2d(cfg.channels, w, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # w x H/2
            nn.Conv2d(w, 2 * w, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # 2w x H/4
            nn.Flatten(),
            nn.Dropout(0.25),
            nn.Linear(2 * w * s * s, cfg.feature_dim),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Sequential(nn.Dropout(0.25), nn.Linear(cfg.feature_dim, cfg.num_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The feature_dim embedding of each image."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))
