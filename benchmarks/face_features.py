"""Which face feature space: MTCNN's O-Net (ships in the facenet-pytorch wheel) against a small identity
classifier trained on the same ORL crops, measured the same way in one run.

For each feature space:

1. **Separation.** The crops are split in two random halves A and B (every subject in both); B is
   compared with A as it is (the real-vs-real floor) and degraded: Gaussian blur (σ 1 and 2), noise
   (σ 0.1 and 0.3 on [-1, 1] pixels), and scrambled (4×4 and 2×2 patches shuffled). A useful space puts
   the real halves close (low fd/kid, high precision/recall) and every degradation far.
2. **Ranking.** ``--samples`` samples of every snapshot of a face run (default the shipped
   ``faces-orl``) against all crops: training should read as improving, early snapshots worse than late.

The identity classifier is ganscope's own ``Classifier`` (two conv blocks, 128-d features) on crops
resized to 32×32, 40 classes, Adam 1e-3, ``--epochs`` epochs with ±2 px shifts and flips; its held-out
accuracy is measured on 2 photos a person with a model trained on the other 8, then it is retrained on all
400 for the feature space, as an evaluator shipping it would.

    ganscope-crop-faces ../shared/data/faces/att_orl data/orl-crops --size 64
    python benchmarks/face_features.py --crops data/orl-crops [--samples 2000] [--epochs 60] [--out FILE]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models import load_generator  # noqa: E402
from models.classifier import Classifier, ClassifierConfig  # noqa: E402
from pipelines import runs  # noqa: E402
from pipelines.data import load_folder, to_range  # noqa: E402
from pipelines.evaluate import frechet_distance, generated_m11, kernel_distance, manifold_coverage  # noqa: E402
from pipelines.face_features import face_embed  # noqa: E402


def patch_shuffle(x: torch.Tensor, k: int, seed: int = 0) -> torch.Tensor:
    """Cut each image into k×k patches and put them back in one fixed random order."""
    n, c, h, w = x.shape
    s = h // k
    p = x.unfold(2, s, s).unfold(3, s, s).reshape(n, c, k * k, s, s)
    p = p[:, :, torch.randperm(k * k, generator=torch.Generator().manual_seed(seed))]
    return p.reshape(n, c, k, k, s, s).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)


def degradations(b: torch.Tensor) -> dict[str, torch.Tensor]:
    noise = torch.randn(b.shape, generator=torch.Generator().manual_seed(1))
    return {
        "real (other half)": b,
        "blur σ1": TF.gaussian_blur(b, 9, 1.0),
        "blur σ2": TF.gaussian_blur(b, 13, 2.0),
        "noise σ0.1": (b + 0.1 * noise).clamp(-1, 1),
        "noise σ0.3": (b + 0.3 * noise).clamp(-1, 1),
        "scrambled 4×4": patch_shuffle(b, 4),
        "scrambled 2×2": patch_shuffle(b, 2),
    }


def _down(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=(32, 32), mode="bilinear", antialias=True, align_corners=False)


def train_identity(x: torch.Tensor, y: torch.Tensor, epochs: int) -> Classifier:
    torch.manual_seed(0)
    m = Classifier(ClassifierConfig(channels=1, image_size=32, num_classes=40, width=16, feature_dim=128))
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    xs = _down(x)
    for _ in range(epochs):
        m.train()
        perm = torch.randperm(len(xs))
        for i in range(0, len(xs), 32):
            idx = perm[i : i + 32]
            xb = torch.roll(xs[idx], torch.randint(-2, 3, (2,)).tolist(), dims=(2, 3))
            xb = xb.flip(-1) if torch.rand(1) < 0.5 else xb
            loss = F.cross_entropy(m(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return m.eval()


def scores(real: np.ndarray, fake: np.ndarray) -> str:
    n = min(len(real), len(fake))  # precision and recall on equal sets, as the evaluator does
    return (
        f"fd {frechet_distance(real, fake):9.3f}  kid {kernel_distance(real, fake):8.3f}  "
        f"precision {manifold_coverage(real, fake[:n]):.2f}  recall {manifold_coverage(fake[:n], real):.2f}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--crops", type=Path, required=True, help="ganscope-crop-faces output of the ORL photos")
    p.add_argument("--run", type=Path, default=Path("checkpoints/faces-orl"))
    p.add_argument("--samples", type=int, default=2000)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--out", type=Path, help="also write the report here")
    args = p.parse_args()
    lines = [f"torch {torch.__version__}, {torch.get_num_threads()} threads, crops {args.crops}, run {args.run}"]
    say = lambda s: (print(s, flush=True), lines.append(s))  # noqa: E731

    files = sorted(q for q in args.crops.rglob("*.png"))
    x = to_range(load_folder(args.crops, 64, 1).images, (-1.0, 1.0))
    subject = torch.tensor([int(re.match(r"s(\d+)__", f.name).group(1)) - 1 for f in files])
    photo = torch.tensor([int(re.match(r"s\d+__(\d+)_", f.name).group(1)) for f in files])
    say(f"{len(x)} crops of {len(subject.unique())} people")

    t = time.time()
    train_idx, test_idx = (photo <= 8).nonzero().flatten(), (photo > 8).nonzero().flatten()
    held_out = train_identity(x[train_idx], subject[train_idx], args.epochs)
    with torch.inference_mode():
        acc = (held_out(_down(x[test_idx])).argmax(1) == subject[test_idx]).float().mean().item()
    ident = train_identity(x, subject, args.epochs)
    say(f"identity classifier: held-out accuracy {acc:.3f} (8 photos a person to train, 2 to test; {time.time() - t:.0f} s)")

    def identity_features(im: torch.Tensor) -> np.ndarray:
        with torch.inference_mode():
            return ident.features(_down(im)).numpy().astype(np.float64)

    spaces = {"O-Net 256-d (MTCNN)": lambda im: face_embed(im)[0], "identity classifier 128-d": identity_features}
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    a, b = x[perm[: len(x) // 2]], x[perm[len(x) // 2 :]]
    snaps = runs.list_snapshots(args.run)
    fakes = {path.name: generated_m11(load_generator(path)[0], args.samples) for path, _ in snaps}
    for name, embed in spaces.items():
        say(f"\n{name}: half A ({len(a)} crops) against")
        fa = embed(a)
        for what, imgs in degradations(b).items():
            say(f"  {what:18s} {scores(fa, embed(imgs))}")
        say(f"{name}: {args.samples} samples of each snapshot of {args.run.name} against all {len(x)} crops")
        fx = embed(x)
        for snap, fake in fakes.items():
            say(f"  {snap:26s} {scores(fx, embed(fake))}")
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
