"""``ganscope-evaluate``: sample-quality metrics for every snapshot of a run, in a classifier's feature space.

No Inception weights can be downloaded here, so MNIST and Fashion-MNIST runs are judged in the
128-d feature space of our own domain classifiers (``ganscope-train-classifier``), against the
real test set:

* ``fd``         Fréchet distance between Gaussians fitted to real and generated features (FID's formula).
* ``kid``        kernel inception distance: unbiased MMD² with the cubic polynomial kernel (lower is better).
* ``precision``  share of samples inside the real k-NN manifold (Kynkäänniemi et al. 2019, k = 3).
* ``recall``     share of real images inside the samples' k-NN manifold.
* ``modes``      classes the classifier finds among the samples; ``kl_uniform`` KL(class histogram ‖ uniform).
* ``feature_spread`` mean pairwise feature distance, and ``duplicates`` the share of samples whose nearest
  other sample is closer than all but 1% of real images are to theirs (a birthday-paradox style check:
  about 0.01 for real data, near 1 for a collapsed generator).

With few samples the Fréchet distance is biased upward and noisy (it fits a 128×128 covariance);
compare runs only at the same ``--samples``. Inception-based versions need torchvision's Inception v3
weights in the torch cache; without them they are reported as unavailable, never guessed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy import linalg

from models import CheckpointError, load_classifier, load_generator
from models.latent import sample_latents

from . import runs
from .classifier import default_classifier_path
from .data import DataError, load_dataset, to_range

log = logging.getLogger(__name__)
K_NN = 3


@dataclass(frozen=True)
class FeatureMetric:
    name: str
    fn: Callable[..., float]
    description: str
    higher_is_better: bool


FEATURE_METRICS: dict[str, FeatureMetric] = {}


def register(name: str, description: str, higher_is_better: bool):
    """Add a metric ``fn(real_feats, fake_feats, real_probs, fake_probs) -> float`` to the registry."""

    def wrap(fn):
        FEATURE_METRICS[name] = FeatureMetric(name, fn, description, higher_is_better)
        return fn

    return wrap


def _sqrtm(a: np.ndarray) -> np.ndarray:
    """The matrix square root; SciPy before 1.16 also returned an error estimate (``disp=False``), later ones don't."""
    out = linalg.sqrtm(a)
    return out[0] if isinstance(out, tuple) else out


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """‖μa − μb‖² + Tr(Σa + Σb − 2(ΣaΣb)^½) between Gaussians fitted to two feature sets."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = _sqrtm(s1 @ s2)
    if not np.isfinite(covmean).all():
        eps = np.eye(s1.shape[0]) * 1e-6
        covmean = _sqrtm((s1 + eps) @ (s2 + eps))
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def kernel_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Unbiased MMD² with k(x, y) = (x·y / d + 1)³ (KID), features scaled so ``a`` has unit RMS."""
    d = a.shape[1]
    scale = np.sqrt((a**2).mean()) or 1.0
    a, b = a / scale, b / scale
    kxx, kyy, kxy = (a @ a.T / d + 1) ** 3, (b @ b.T / d + 1) ** 3, (a @ b.T / d + 1) ** 3
    m, n = len(a), len(b)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * kxy.mean())


def _radii(x: torch.Tensor, k: int) -> torch.Tensor:
    d = torch.cdist(x, x)
    return d.kthvalue(k + 1, dim=1).values  # +1: the point itself is at distance 0


def manifold_coverage(ref: np.ndarray, query: np.ndarray, k: int = K_NN) -> float:
    """Share of ``query`` points within the k-NN radius of some ``ref`` point."""
    r, q = torch.from_numpy(ref).double(), torch.from_numpy(query).double()
    radii = _radii(r, k)
    return float((torch.cdist(q, r) <= radii[None]).any(dim=1).double().mean())


@register("fd", "Fréchet distance to the real test set (classifier features)", False)
def _fd(real, fake, rp, fp):
    return frechet_distance(real, fake)


@register("kid", "kernel distance (unbiased MMD², cubic kernel) to the real test set", False)
def _kid(real, fake, rp, fp):
    return kernel_distance(real, fake)


@register("precision", "share of samples on the real k-NN manifold", True)
def _precision(real, fake, rp, fp):
    return manifold_coverage(real, fake)


@register("recall", "share of real images on the samples' k-NN manifold", True)
def _recall(real, fake, rp, fp):
    return manifold_coverage(fake, real)


@register("modes", "classes the classifier finds among the samples", True)
def _modes(real, fake, rp, fp):
    return float(len(np.unique(fp.argmax(1))))


@register("kl_uniform", "KL(class histogram of the samples ‖ uniform)", False)
def _kl(real, fake, rp, fp):
    h = np.bincount(fp.argmax(1), minlength=fp.shape[1]) / len(fp)
    nz = h > 0
    return float((h[nz] * np.log(h[nz] * fp.shape[1])).sum())


@register("feature_spread", "mean pairwise feature distance among samples", True)
def _spread(real, fake, rp, fp):
    d = torch.cdist(torch.from_numpy(fake).double(), torch.from_numpy(fake).double())
    n = len(fake)
    return float(d.sum() / (n * (n - 1)))


def _nn_distances(x: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(x).double()
    return (torch.cdist(t, t) + torch.eye(len(t), dtype=torch.float64) * 1e18).min(dim=1).values


@register("duplicates", "share of samples whose nearest other sample is closer than 99% of real images' are", False)
def _dups(real, fake, rp, fp):
    thr = torch.quantile(_nn_distances(real), 0.01)  # by construction about 1% for a fresh real set
    return float((_nn_distances(fake) < thr).double().mean())


def score(real_feats: np.ndarray, fake_feats: np.ndarray, real_probs: np.ndarray, fake_probs: np.ndarray) -> dict:
    """Every registered feature metric."""
    return {n: m.fn(real_feats, fake_feats, real_probs, fake_probs) for n, m in FEATURE_METRICS.items()}


@torch.inference_mode()
def embed(model, images_m11: torch.Tensor, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """(features, class probabilities) of images in [-1, 1]."""
    feats, probs = [], []
    for i in range(0, len(images_m11), batch):
        f = model.features(images_m11[i : i + batch].float())
        feats.append(f)
        probs.append(torch.softmax(model.head(f), dim=1))
    return torch.cat(feats).numpy().astype(np.float64), torch.cat(probs).numpy()


@torch.inference_mode()
def generated_m11(G, n: int, seed_offset: int = 1_000_000) -> torch.Tensor:
    """``n`` samples (seeds from ``seed_offset``, apart from the grid seeds) scaled to [-1, 1]."""
    z = sample_latents(range(seed_offset, seed_offset + n), G.z_dim, G.latent_dist)
    labels = torch.arange(n) % G.num_classes if G.num_classes else None
    x = G(z, labels).float()
    lo, hi = G.output.value_range
    return (x - lo) / (hi - lo) * 2 - 1


def inception_status() -> str:
    """Why Inception-feature metrics are or are not available here."""
    hub = Path(torch.hub.get_dir()) / "checkpoints"
    found = sorted(hub.glob("inception_v3_google-*.pth")) if hub.is_dir() else []
    if found:
        return f"available ({found[0].name})"
    return (
        f"unavailable: torchvision's Inception v3 weights are not in {hub}; run once online to fetch them "
        "(torchvision.models.inception_v3(weights='DEFAULT')) to get Inception-feature metrics"
    )


INCEPTION_METRICS = ("fd", "kid", "precision", "recall", "feature_spread", "duplicates")


def inception_extractor(allow_download: bool = False) -> torch.nn.Module:
    """torchvision's Inception v3 with its classifier removed (2048-d pool features).

    Uses the weights in the torch cache; downloads them only when ``allow_download``. Raises DataError
    with ``inception_status()`` when they are not to be had.
    """
    from torchvision.models import Inception_V3_Weights, inception_v3

    if not allow_download and not inception_status().startswith("available"):
        raise DataError(inception_status())
    model = inception_v3(weights=Inception_V3_Weights.DEFAULT)
    model.fc = torch.nn.Identity()
    return model.eval()


@torch.inference_mode()
def inception_embed(model: torch.nn.Module, images_m11: torch.Tensor, batch: int = 50) -> np.ndarray:
    """2048-d features of images in [-1, 1] (grey repeated to RGB, resized to 299, ImageNet-normalised)."""
    import torch.nn.functional as F

    mean = torch.tensor([0.485, 0.456, 0.406])[None, :, None, None]
    std = torch.tensor([0.229, 0.224, 0.225])[None, :, None, None]
    out = []
    for i in range(0, len(images_m11), batch):
        x = (images_m11[i : i + batch].float() + 1) / 2
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        out.append(model((x - mean) / std))
    return torch.cat(out).numpy().astype(np.float64)


def inception_scores(model: torch.nn.Module, real_m11: torch.Tensor, fake_m11: torch.Tensor) -> dict:
    """The class-free metrics on Inception features, keyed ``inception_<name>``."""
    rf, ff = inception_embed(model, real_m11), inception_embed(model, fake_m11)
    return {f"inception_{n}": FEATURE_METRICS[n].fn(rf, ff, None, None) for n in INCEPTION_METRICS}


def evaluate_run(
    run_dir: Path,
    data_dir: str | None = None,
    samples: int = 1000,
    classifier: Path | None = None,
    write: bool = True,
    inception: torch.nn.Module | None = None,
    every: int = 1,
) -> list[dict]:
    """Score every snapshot of a run (or every ``every``-th and the last); returns (and appends) one record each.

    MNIST and Fashion-MNIST runs are scored in their domain classifier's feature space; with an
    ``inception`` feature extractor (see ``inception_extractor``) any image run is also scored on
    Inception features (keys ``inception_*``).
    """
    cfg = runs.read_config(run_dir)
    domain = cfg.dataset in ("mnist", "fashion-mnist")
    if not domain and inception is None:
        raise DataError(
            f"{run_dir.name}: feature metrics need a domain classifier (there is one for mnist and fashion-mnist, "
            f"not {cfg.dataset}) or Inception features, which are {inception_status()}"
        )
    spec = cfg.model.output
    size, channels = (28, 1) if domain else (spec.shape[1], spec.shape[0])
    test = load_dataset(cfg.dataset, data_dir or cfg.data_dir, size, channels, train=cfg.dataset == "folder")
    if cfg.classes:  # compare with the real images of the classes the run trained on
        keep = torch.isin(test.labels, torch.tensor(cfg.classes))
        test.images, test.labels = test.images[keep], test.labels[keep]
    test.images, test.labels = test.images[:samples], test.labels[:samples]
    real_m11 = to_range(test.images, (-1.0, 1.0))
    if domain:
        model, _ = load_classifier(classifier or default_classifier_path(cfg.dataset))
        real_f, real_p = embed(model, real_m11)
    out = []
    snapshots = runs.list_snapshots(run_dir)
    snapshots = [s for i, s in enumerate(snapshots) if i % every == every - 1 or i == len(snapshots) - 1]
    for path, meta in snapshots:
        G, _ = load_generator(path)
        fake = generated_m11(G, samples)
        rec = {
            "step": meta.get("step"),
            "epoch": meta.get("epoch"),
            "snapshot": path.name,
            "source": "evaluate",
            "samples": samples,
        }
        if domain:
            fake_f, fake_p = embed(model, fake)
            rec.update(score(real_f, fake_f, real_p, fake_p))
        if inception is not None:
            rec.update(inception_scores(inception, real_m11, fake))
        log.info("%s step %s: %s", run_dir.name, rec["step"], {k: round(v, 4) for k, v in rec.items() if isinstance(v, float)})
        out.append(rec)
        if write:
            runs.append_jsonl(Path(run_dir) / runs.METRICS, rec)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ganscope-evaluate", description=__doc__.splitlines()[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--data-dir", help="real data (defaults to the run's data_dir)")
    p.add_argument("--samples", type=int, default=1000, help="generated and real samples per metric (default 1000)")
    p.add_argument("--classifier", type=Path, help="classifier weights (default: the shipped one for the dataset)")
    p.add_argument("--json", action="store_true", help="print the records as JSON")
    p.add_argument(
        "--inception",
        action="store_true",
        help="also score on Inception v3 features (any image run; needs its weights in the torch cache)",
    )
    p.add_argument("--download-inception", action="store_true", help="let torchvision download the Inception weights")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        inception = None
        if args.inception or args.download_inception:
            inception = inception_extractor(allow_download=args.download_inception)
        recs = evaluate_run(args.run_dir, args.data_dir, args.samples, args.classifier, inception=inception)
    except (runs.RunError, DataError, CheckpointError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(recs, indent=1))
    else:
        keys = [k for k in recs[0] if isinstance(recs[0][k], float) and k != "epoch"] if recs else []
        print("step     " + " ".join(f"{k:>14}" for k in keys))
        for r in recs:
            print(f"{r['step']:<8} " + " ".join(f"{r[k]:>14.4f}" for k in keys))
        print(f"Inception-feature metrics: {inception_status()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


@torch.inference_mode()
def nearest_training(
    samples_m11: torch.Tensor, train_m11: torch.Tensor, k: int = 3, classifier=None
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Memorisation check: the ``k`` nearest training images of each sample.

    Returns {"pixels": (indices (N, k), RMS distances), "features": (...)}; "features" only when a
    classifier is given. A generator that memorised shows samples at ~0 distance from a training image.
    """
    s = samples_m11.reshape(len(samples_m11), -1).double()
    t = train_m11.reshape(len(train_m11), -1).double()
    d = torch.cdist(s, t) / s.shape[1] ** 0.5 / 2  # RMS difference in [0, 1] units
    vals, idx = d.topk(k, largest=False)
    out = {"pixels": (idx, vals)}
    if classifier is not None:
        fs = torch.from_numpy(embed(classifier, samples_m11)[0])
        ft = torch.from_numpy(embed(classifier, train_m11)[0])
        df = torch.cdist(fs, ft)
        vals, idx = df.topk(k, largest=False)
        out["features"] = (idx, vals)
    return out
