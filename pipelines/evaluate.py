"""``ganscope-evaluate``: sample-quality metrics for every snapshot of a run, in a classifier's feature space.

No Inception weights can be downloaded here, so MNIST and Fashion-MNIST runs are judged in the
128-d feature space of our own domain classifiers (``ganscope-train-classifier``), against the
real test set:

The metrics themselves are registered in ``pipelines.metrics`` (``needs="features"``):

* ``fd``         Fréchet distance between Gaussians fitted to real and generated features (FID's formula).
* ``kid``        kernel inception distance: unbiased MMD² with the cubic polynomial kernel (lower is better).
* ``precision``  share of samples inside the real k-NN manifold (Kynkäänniemi et al. 2019, k = 3).
* ``recall``     share of real images inside the samples' k-NN manifold.
* ``modes``      classes the classifier finds among the samples; ``kl_uniform`` KL(class histogram ‖ uniform).
* ``feature_spread`` mean pairwise feature distance, and ``duplicates`` the share of samples whose nearest
  other sample is closer than all but 1% of real images are to theirs (a birthday-paradox style check:
  about 0.01 for real data, near 1 for a collapsed generator).

Face runs (``--dataset folder``: every folder preset trains on ``ganscope-crop-faces`` crops) are judged
the same way in the 256-d feature space of MTCNN's O-Net (``pipelines/face_features.py``; its weights
ship inside the facenet-pytorch wheel), against the training crops: ``fd``, ``kid``, ``precision``,
``recall``, ``feature_spread``, ``duplicates`` and ``face_prob``. Toy runs get the metrics registered for
their dataset in ``pipelines/metrics.py`` (``toy_scores``), computed on ``--samples`` samples.

With few samples the Fréchet distance is biased upward and noisy (it fits a 128×128 covariance);
compare runs only at the same ``--samples``. Inception-based versions need torchvision's Inception v3
weights in the torch cache; without them they are reported as unavailable, never guessed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models import CheckpointError, load_classifier, load_generator
from models.latent import sample
from models.spec import M11, from_unit, to_unit

from . import runs
from .classifier import default_classifier_path
from .data import DataError, load_dataset, to_range
from .face_features import FEATURE_SPACE, FeatureError, face_embed
from .metrics import (  # noqa: F401 - frechet_distance, kernel_distance, manifold_coverage are re-exported
    INCEPTION_METRICS,
    METRICS,
    frechet_distance,
    kernel_distance,
    manifold_coverage,
    score,
)
from .toy_metrics import toy_scores
from .toydata import TOY_DATASETS

log = logging.getLogger(__name__)


@torch.inference_mode()
def embed(model, images_m11: torch.Tensor, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """(features, class probabilities) of images in [-1, 1]."""
    feats, probs = [], []
    for i in range(0, len(images_m11), batch):
        f = model.features(images_m11[i : i + batch].float())
        feats.append(f)
        probs.append(torch.softmax(model.head(f), dim=1))
    return torch.cat(feats).numpy().astype(np.float64), torch.cat(probs).numpy()


def generated(G, n: int, seed_offset: int = 1_000_000) -> torch.Tensor:
    """``n`` samples in the generator's own value range (seeds from ``seed_offset``, apart from the grid seeds)."""
    return sample(G, range(seed_offset, seed_offset + n))


def generated_m11(G, n: int, seed_offset: int = 1_000_000) -> torch.Tensor:
    """``n`` samples (as ``generated``) scaled to [-1, 1]."""
    return from_unit(G.output.to_unit(generated(G, n, seed_offset), clamp=False), M11)


SET_METRICS = ("precision", "recall", "feature_spread", "duplicates")  # on face runs compared at equal set sizes


def run_kind(dataset: str) -> str:
    """How a run on ``dataset`` is evaluated: "classifier" (MNIST, Fashion-MNIST), "face" (folders of
    face crops), "toy" (the classic toy GANs), or "" (no feature space here: Inception only)."""
    if dataset in ("mnist", "fashion-mnist"):
        return "classifier"
    if dataset == "folder":
        return "face"
    return "toy" if dataset in TOY_DATASETS else ""


def face_scores(real_feats: np.ndarray, fake_m11: torch.Tensor) -> dict:
    """The class-free feature metrics (``INCEPTION_METRICS``) of samples against real face features
    (``face_embed``), and the ``"face"`` metrics on O-Net's face probabilities. ``fd`` and ``kid`` use every
    sample; the k-NN metrics (precision, recall, feature_spread, duplicates) use as many samples as there
    are real images, as Kynkäänniemi et al. compare equal sets (with 5,000 samples against 400 crops the
    samples' k-NN balls would shrink)."""
    fake, probs = face_embed(fake_m11)
    equal = fake[: len(real_feats)]
    out = {n: METRICS[n].fn(real_feats, equal if n in SET_METRICS else fake, None, None) for n in INCEPTION_METRICS}
    out.update({n: m.fn(probs) for n, m in METRICS.items() if m.needs == "face"})
    return out


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
    mean = torch.tensor([0.485, 0.456, 0.406])[None, :, None, None]
    std = torch.tensor([0.229, 0.224, 0.225])[None, :, None, None]
    out = []
    for i in range(0, len(images_m11), batch):
        x = to_unit(images_m11[i : i + batch], M11, clamp=False)
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        out.append(model((x - mean) / std))
    return torch.cat(out).numpy().astype(np.float64)


def inception_scores(model: torch.nn.Module, real_m11: torch.Tensor, fake_m11: torch.Tensor) -> dict:
    """The class-free metrics on Inception features, keyed ``inception_<name>``."""
    rf, ff = inception_embed(model, real_m11), inception_embed(model, fake_m11)
    return {f"inception_{n}": v for n, v in score(rf, ff, None, None).items()}


def real_images(run_dir: Path, cfg, data_dir: str | None, samples: int) -> torch.Tensor:
    """Up to ``samples`` real images in [-1, 1] to compare a run with: the test set of the classes it
    trained on, or for a folder run its training images (a folder has no test split)."""
    domain = run_kind(cfg.dataset) == "classifier"
    spec = cfg.model.output
    size, channels = (28, 1) if domain else (spec.shape[1], spec.shape[0])
    try:
        data_dir = data_dir or runs.resolve_data_dir(run_dir, cfg.data_dir)  # a relative data_dir works from any folder
    except DataError as e:
        if cfg.dataset != "folder":
            raise
        raise DataError(f"{e}: the face crops it trained on (ganscope-crop-faces SRC_DIR OUT_DIR --size 64 makes them)") from None
    test = load_dataset(cfg.dataset, data_dir, size, channels, train=cfg.dataset == "folder")
    if cfg.classes:  # compare with the real images of the classes the run trained on
        keep = torch.isin(test.labels, torch.tensor(cfg.classes))
        test.images, test.labels = test.images[keep], test.labels[keep]
    return to_range(test.images[:samples], (-1.0, 1.0))


def evaluate_run(
    run_dir: Path,
    data_dir: str | None = None,
    samples: int = 1000,
    classifier: Path | None = None,
    write: bool = True,
    inception: torch.nn.Module | None = None,
    every: int = 1,
) -> list[dict]:
    """Score every snapshot of a run (or every ``every``-th and the last); returns (and, with ``write``,
    appends to metrics.jsonl) one record each.

    By the run's dataset (``run_kind``): MNIST and Fashion-MNIST runs in their domain classifier's
    feature space against the test set; face runs (folder) in O-Net's face feature space against the
    training crops in ``data_dir`` (``fd``, ``kid``, ``precision``, ``recall``, ... and ``face_prob``);
    toy runs by their own metrics (``metrics.toy_scores``). With an ``inception`` feature extractor (see
    ``inception_extractor``) any image run is also scored on Inception features (keys ``inception_*``).
    """
    run_dir = Path(run_dir)
    cfg = runs.read_config(run_dir)
    kind = run_kind(cfg.dataset)
    if not kind and inception is None:
        raise DataError(
            f"{run_dir.name}: feature metrics need a feature space for {cfg.dataset} (there is one for mnist, "
            f"fashion-mnist, face folders and the toy datasets) or Inception features, which are {inception_status()}"
        )
    if kind == "toy" and inception is not None:
        raise DataError(f"{run_dir.name} is a toy run ({cfg.dataset}), not images: Inception features do not apply")
    if kind != "toy":
        real_m11 = real_images(run_dir, cfg, data_dir, samples)
    if kind == "classifier":
        model, _ = load_classifier(classifier or default_classifier_path(cfg.dataset))
        real_f, real_p = embed(model, real_m11)
    elif kind == "face":
        real_f = face_embed(real_m11)[0]
    out = []
    snapshots = runs.list_snapshots(run_dir)
    snapshots = [s for i, s in enumerate(snapshots) if i % every == every - 1 or i == len(snapshots) - 1]
    for path, meta in snapshots:
        G, _ = load_generator(path)
        rec = {"step": meta.get("step"), "epoch": meta.get("epoch"), "snapshot": path.name}
        rec.update(source="evaluate", samples=samples)
        if kind == "toy":
            rec.update(toy_scores(generated(G, samples), cfg.dataset))
        else:
            fake = generated_m11(G, samples)
        if kind == "classifier":
            fake_f, fake_p = embed(model, fake)
            rec.update(score(real_f, fake_f, real_p, fake_p))
        elif kind == "face":
            rec.update(face_scores(real_f, fake), real_samples=len(real_m11), feature_space=FEATURE_SPACE)
        if inception is not None:
            rec.update(inception_scores(inception, real_m11, fake))
        log.info("%s step %s: %s", run_dir.name, rec["step"], {k: round(v, 4) for k, v in rec.items() if isinstance(v, float)})
        out.append(rec)
        if write:
            runs.append_jsonl(run_dir / runs.METRICS, rec)
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
    except (runs.RunError, DataError, CheckpointError, FeatureError) as e:
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
