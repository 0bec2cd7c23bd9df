"""``ganscope-train-classifier``: train the small domain classifier our quality checks use.

Trains on the real training split, reports accuracy on the real test split, and writes the
weights (fp16 safetensors, under 1 MB) with that accuracy in the header. The shipped ones are
``checkpoints/classifiers/{mnist,fashion-mnist}.safetensors``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from models import Classifier, ClassifierConfig, save_classifier
from models.latent import cycled_labels, sample
from models.spec import M11, from_unit

from .data import DataError, load_dataset, to_range
from .runs import PROJECT_ROOT

log = logging.getLogger(__name__)


@torch.inference_mode()
def predict(model: Classifier, images_m11: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """Class probabilities (N, num_classes) for images in [-1, 1]."""
    model.eval()
    return torch.cat([F.softmax(model(images_m11[i : i + batch].float()), dim=1) for i in range(0, images_m11.shape[0], batch)])


def accuracy(model: Classifier, images_u8: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of uint8 images classified as their label."""
    probs = predict(model, to_range(images_u8, (-1.0, 1.0)))
    return float((probs.argmax(1) == labels).float().mean())


def train_classifier(
    dataset: str,
    data_dir: str | Path,
    epochs: int = 2,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> tuple[Classifier, float]:
    """Train on the real training split; returns (model, test accuracy)."""
    train = load_dataset(dataset, data_dir, 28, 1)
    test = load_dataset(dataset, data_dir, 28, 1, train=False)
    torch.manual_seed(seed)
    model = Classifier(ClassifierConfig(channels=1, image_size=28, num_classes=len(train.class_names)))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(train)
    g = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n, generator=g)
        bar = tqdm(range(0, n, batch_size), disable=not progress, desc=f"epoch {epoch + 1}/{epochs}")
        for i in bar:
            idx = order[i : i + batch_size]
            x = to_range(train.images[idx], (-1.0, 1.0))
            # small random shifts make the classifier judge shapes, not exact pixel positions
            dx, dy = torch.randint(-2, 3, (2,), generator=g).tolist()
            x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(model(x), train.labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        acc = accuracy(model, test.images, test.labels)
        log.info("epoch %d test accuracy %.4f", epoch + 1, acc)
    return model, acc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ganscope-train-classifier", description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=("mnist", "fashion-mnist"), required=True)
    p.add_argument("--data-dir", required=True, help="folder with the four IDX files")
    p.add_argument("--out", required=True, type=Path, help="e.g. checkpoints/classifiers/mnist.safetensors")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        model, acc = train_classifier(args.dataset, args.data_dir, args.epochs, seed=args.seed)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_classifier(
        args.out, model, {"dataset": args.dataset, "test_accuracy": round(acc, 4), "epochs": args.epochs, "seed": args.seed}
    )
    print(f"{args.dataset} classifier: test accuracy {acc:.4f}, written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def default_classifier_path(dataset: str) -> Path:
    """Where the shipped classifier for ``dataset`` lives (checkpoints/classifiers/DATASET.safetensors)."""
    return PROJECT_ROOT / "checkpoints" / "classifiers" / f"{dataset}.safetensors"


@torch.inference_mode()
def class_coverage(G: torch.nn.Module, model: Classifier, n: int = 100) -> dict:
    """How a classifier reads ``n`` samples (seeds 0..n-1) of an image generator in [-1, 1] or [0, 1].

    Returns classes present, the histogram, and mean confidence (mean max class probability).
    """
    labels = cycled_labels(G, n)
    x = sample(G, range(n), labels=labels)
    probs = predict(model, from_unit(G.output.to_unit(x, clamp=False), M11))
    pred = probs.argmax(1)
    return {
        "classes": int(torch.unique(pred).numel()),
        "confidence": float(probs.max(1).values.mean()),
        "histogram": torch.bincount(pred, minlength=probs.shape[1]).tolist(),
        "label_accuracy": float((pred == labels).float().mean()) if labels is not None else None,
    }
