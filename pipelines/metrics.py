"""The one metric registry (as StyleGAN3's ``metrics/metric_main.py``): every metric ganscope records,
registered once with its name, direction, meaning and what it needs.

The trainer (``compute_all``), the evaluator (``score``), the diagnosis and every dashboard page
(Compare, Training, Diagnostics, Ablation, the sidebar card) look metrics up here, and read metric
records through ``by_snapshot``/``latest``, the one place where the records of a snapshot (the
trainer's and ``ganscope-evaluate``'s) are merged.

What a metric needs (``needs``) decides who computes it and what its function receives:

* ``"samples"``: ``fn(samples)`` on generated samples mapped to [0, 1], shape (N, ...); the trainer
  computes these at every snapshot (``compute_all``);
* ``"raw"``: ``fn(values)`` on the same samples in the generator's own value range (points, vectors);
  also the trainer's;
* ``"features"``: ``fn(real_feats, fake_feats, real_probs, fake_probs)`` on a domain classifier's
  features and class probabilities of real test images and samples; ``ganscope-evaluate`` computes
  these (``score``);
* ``"face"``: ``fn(face_probs)`` on the probabilities MTCNN's O-Net gives the samples of being a face;
  ``ganscope-evaluate`` computes these on face runs (``pipelines/face_features.py``), beside the
  class-free ``"features"`` metrics on O-Net features;
* ``"inception"``: recorded by ``ganscope-evaluate --inception`` (``inception_<name>`` for each name
  in ``INCEPTION_METRICS``, the class-free feature metrics on Inception v3 features); no function here.

Adding a metric is one call; nothing else needs to change (pages, the evaluator's table and the
Compare ordering pick it up)::

    @register_metric("pattern_l1", "mean |x − 1010| of the generated 4-vectors", higher_is_better=False,
                     needs="raw", datasets=("pattern-1010",))
    def pattern_l1(values: torch.Tensor) -> float:
        return float((values - torch.tensor([1.0, 0.0, 1.0, 0.0])).abs().mean())

(``pattern_error`` itself is registered, with the other toy GANs' metrics, in ``pipelines/toy_metrics.py``.)
``datasets`` limits a metric to runs on those datasets (empty: every run); ``kinds`` to runs whose
generator gives that kind of output (``OutputSpec.kind``: image, vector, curve, points; empty: every
kind). Pixel distances mean something between images only: near-identical 2-D points are what a
ring of Gaussians is made of, so ``diversity`` and ``near_duplicates`` are ``kinds=("image",)``, and
the trainer, the evaluator and every page skip a metric that does not apply (``applies``). A feature metric, e.g. a
face-feature distance, is ``needs="features"`` with the four-argument function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported by the metrics that compute on tensors: the registry is read without it
    import torch

NEEDS = ("samples", "raw", "features", "inception", "face")
K_NN = 3  # k of the k-NN manifolds behind precision and recall


@dataclass(frozen=True)
class Metric:
    """A registered metric.

    Attributes:
        name: the key in metric records (metrics.jsonl) and on every page.
        meaning: one line a user reads beside the number.
        higher_is_better: its direction; every ordering by it puts the best first.
        needs: what it is computed from (see the module docstring, one of NEEDS).
        fn: the function (None for ``"inception"`` metrics, computed by the evaluator from another's).
        datasets: only for runs on these datasets (empty: all).
        kinds: only for runs whose output is of these kinds (empty: all).
    """

    name: str
    meaning: str
    higher_is_better: bool
    needs: str = "samples"
    fn: Callable[..., float] | None = None
    datasets: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def applies(self, kind: str | None = None, dataset: str | None = None) -> bool:
        """Whether this metric means something for a run with output ``kind`` on ``dataset`` (None: any)."""
        if kind is not None and self.kinds and kind not in self.kinds:
            return False
        return dataset is None or not self.datasets or dataset in self.datasets

    @property
    def description(self) -> str:  # the older name of ``meaning``
        return self.meaning

    @property
    def direction(self) -> str:
        return "higher is better" if self.higher_is_better else "lower is better"

    @property
    def raw(self) -> bool:
        return self.needs == "raw"


METRICS: dict[str, Metric] = {}


def register_metric(
    name: str,
    meaning: str,
    higher_is_better: bool,
    needs: str = "samples",
    datasets: tuple[str, ...] = (),
    fn: Callable[..., float] | None = None,
    kinds: tuple[str, ...] = (),
):
    """Register a metric; use as a decorator on its function, or call with ``fn=`` (or no function,
    for ``"inception"`` metrics). Registering a name twice is an error: one definition per metric."""
    if needs not in NEEDS:
        raise ValueError(f"metric {name!r}: needs must be one of {NEEDS}, not {needs!r}")
    if name in METRICS:
        raise ValueError(f"metric {name!r} is already registered")

    def wrap(f: Callable[..., float] | None) -> Callable[..., float] | None:
        METRICS[name] = Metric(name, meaning, higher_is_better, needs, f, tuple(datasets), tuple(kinds))
        return f

    if fn is not None or needs == "inception":
        wrap(fn)
        return fn
    return wrap


def get(name: str) -> Metric | None:
    """The registered metric called ``name``, or None for a field that is not a metric (step, epoch...)."""
    return METRICS.get(name)


def compute_all(
    samples: torch.Tensor, raw: torch.Tensor | None = None, dataset: str = "", kind: str | None = None
) -> dict[str, float]:
    """Every ``"samples"`` and ``"raw"`` metric that applies to ``dataset`` and output ``kind`` (the
    trainer's, per snapshot): on ``samples`` mapped to [0, 1] by the declared value range, NOT clipped
    (a generator whose values leave its declared range is measured on what it gives), or on ``raw``
    (the generator's own values) for ``"raw"`` metrics."""
    out = {}
    for name, m in METRICS.items():
        if m.needs not in ("samples", "raw") or (m.datasets and dataset not in m.datasets) or not m.applies(kind):
            continue
        out[name] = m.fn(raw if m.raw and raw is not None else samples)
    return out


def score(real_feats: np.ndarray, fake_feats: np.ndarray, real_probs: np.ndarray | None, fake_probs: np.ndarray | None) -> dict:
    """Every ``"features"`` metric (the evaluator's): ``fake_probs`` None skips the class-based ones."""
    out = {}
    for name, m in METRICS.items():
        if m.needs == "features" and (fake_probs is not None or name in INCEPTION_METRICS):
            out[name] = m.fn(real_feats, fake_feats, real_probs, fake_probs)
    return out


# --- metric records: merged per snapshot, ordered best first ------------------------------------------


def by_snapshot(records: Iterable[dict], kind: str | None = None) -> dict[str, dict]:
    """Metric records merged per snapshot, in step order: {snapshot file name: merged record}.

    A snapshot has a record from the trainer and may have more from ``ganscope-evaluate``; a value measured
    on more samples wins over one on fewer (the record's ``samples``; the trainer's records have none and
    count as fewest), and between equals a later record's wins. The merged record's ``samples_of`` maps
    each evaluated metric to the sample count of its value. Records without a snapshot name are keyed by step.
    With ``kind`` (the run's output kind), metrics that do not apply to it are left out (an older
    trainer recorded pixel metrics on toy runs).
    """
    merged: dict[str, dict] = {}
    for r in records:
        rec = merged.setdefault(r.get("snapshot") or f"step {r.get('step')}", {"samples_of": {}})
        n = r.get("samples") if isinstance(r.get("samples"), int) else 0
        for k, v in r.items():
            m = METRICS.get(k)
            if m is not None and not m.applies(kind):
                continue
            if m is not None and v is not None and n < rec["samples_of"].get(k, 0):
                continue  # measured on fewer samples than the value already there
            if v is not None or k not in rec:  # a later null never erases a value
                rec[k] = v
                if m is not None and v is not None and n:
                    rec["samples_of"][k] = n
    return dict(sorted(merged.items(), key=lambda kv: kv[1].get("step") or 0))


def latest(records: Iterable[dict], kind: str | None = None) -> dict:
    """The merged record of the last snapshot that has any (empty when there are none)."""
    merged = by_snapshot(records, kind)
    return next(reversed(merged.values())) if merged else {}


def present(records: Iterable[dict] | dict[str, dict]) -> list[str]:
    """Registered metrics with a value in any of the records, in registration order."""
    recs = list(records.values()) if isinstance(records, dict) else list(records)
    return [n for n in METRICS if any(isinstance(r.get(n), (int, float)) and not isinstance(r.get(n), bool) for r in recs)]


# A run's quality metric, in order of preference: the first of these it has is what "best" means by default
# (a distance to the real data where it was evaluated; diversity says nothing of quality).
QUALITY = ("fd", "inception_fd", "ring_quality", "pattern_w1", "sine_fit_error", "quadratic_error", "scalar_w1", "face_prob")


def default_order(names: list[str]) -> str | None:
    """The metric "best snapshot" defaults to among ``names``: the first of ``QUALITY`` there, else the first name."""
    return next((n for n in QUALITY if n in names), names[0] if names else None)


def by_sample_count(record: dict, trainer_samples: int) -> list[tuple[int, list[tuple[str, float]]]]:
    """A merged record's metric values grouped by how many samples each was measured on, largest first:
    [(samples, [(name, value), ...]), ...]. A value without a count of its own (``samples_of``) is the
    trainer's, on ``trainer_samples`` (``TrainConfig.eval_samples``)."""
    counts = record.get("samples_of") or {}
    groups: dict[int, list[tuple[str, float]]] = {}
    for name in present([record]):
        v = value(record, name)
        if v is not None:
            groups.setdefault(int(counts.get(name) or trainer_samples), []).append((name, v))
    return sorted(groups.items(), key=lambda kv: -kv[0])


def value(record: dict, name: str) -> float | None:
    """A record's finite value of a metric, or None."""
    v = record.get(name)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
        return None
    return float(v)


def best_first(items: list, name: str, record_of: Callable[[object], dict]) -> list:
    """``items`` ordered by metric ``name``, best first by its registered direction; items without a
    value come last, in their own order. ``record_of(item)`` is the item's (merged) metric record."""
    m = METRICS[name]
    scored = [(value(record_of(it), name), i, it) for i, it in enumerate(items)]
    have = sorted((s for s in scored if s[0] is not None), key=lambda s: (-s[0] if m.higher_is_better else s[0], s[1]))
    return [it for _, _, it in have] + [it for v, _, it in scored if v is None]


# --- sample metrics: need no trained model; the first thing mode collapse destroys -------------------

IMAGES = ("image",)  # the output kinds of the metrics that compare pictures
NEAR_DUPLICATE_RMS = 0.03  # two [0, 1] images closer than this RMS difference look identical


def _rms_distances(samples: torch.Tensor) -> torch.Tensor:
    import torch

    flat = samples.reshape(samples.shape[0], -1).double()
    return torch.cdist(flat, flat) / flat.shape[1] ** 0.5


@register_metric("diversity", "mean RMS pixel distance between pairs of samples", True, kinds=IMAGES)
def diversity(samples: torch.Tensor) -> float:
    n = samples.shape[0]
    if n < 2:
        return 0.0
    return float(_rms_distances(samples).sum() / (n * (n - 1)))


@register_metric("near_duplicates", f"share of samples with another within RMS {NEAR_DUPLICATE_RMS}", False, kinds=("image",))
def near_duplicates(samples: torch.Tensor) -> float:
    n = samples.shape[0]
    if n < 2:
        return 0.0
    d = _rms_distances(samples)
    d.fill_diagonal_(float("inf"))
    return float((d.min(dim=1).values < NEAR_DUPLICATE_RMS).double().mean())


@register_metric("ring_modes", "modes of the 8-Gaussian ring with a high-quality sample", True, "raw", ("ring-8",))
def ring_modes(points: torch.Tensor) -> float:
    from .toydata import ring_coverage

    return float(ring_coverage(points)[0])


@register_metric("ring_quality", "share of samples within 3 std of a ring mode", True, "raw", ("ring-8",))
def ring_quality(points: torch.Tensor) -> float:
    from .toydata import ring_coverage

    return ring_coverage(points)[1]


# --- feature metrics (ganscope-evaluate): real test images vs samples in a classifier's feature space ---


def _sqrtm(linalg, a: np.ndarray) -> np.ndarray:
    """The matrix square root; SciPy before 1.16 also returned an error estimate (``disp=False``), later ones don't."""
    out = linalg.sqrtm(a)
    return out[0] if isinstance(out, tuple) else out


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """‖μa − μb‖² + Tr(Σa + Σb − 2(ΣaΣb)^½) between Gaussians fitted to two feature sets."""
    from scipy import linalg  # only the evaluator needs scipy; the dashboard reads this module too

    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = _sqrtm(linalg, s1 @ s2)
    if not np.isfinite(covmean).all():
        eps = np.eye(s1.shape[0]) * 1e-6
        covmean = _sqrtm(linalg, (s1 + eps) @ (s2 + eps))
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


def manifold_coverage(ref: np.ndarray, query: np.ndarray, k: int = K_NN) -> float:
    """Share of ``query`` points within the k-NN radius of some ``ref`` point."""
    import torch

    r, q = torch.from_numpy(ref).double(), torch.from_numpy(query).double()
    radii = torch.cdist(r, r).kthvalue(k + 1, dim=1).values  # +1: the point itself is at distance 0
    return float((torch.cdist(q, r) <= radii[None]).any(dim=1).double().mean())


def _nn_distances(x: np.ndarray) -> torch.Tensor:
    import torch

    t = torch.from_numpy(x).double()
    return (torch.cdist(t, t) + torch.eye(len(t), dtype=torch.float64) * 1e18).min(dim=1).values


@register_metric("fd", "Fréchet distance to the real test set (classifier features)", False, "features", kinds=IMAGES)
def _fd(real, fake, rp, fp):
    return frechet_distance(real, fake)


@register_metric("kid", "kernel distance (unbiased MMD², cubic kernel) to the real test set", False, "features", kinds=IMAGES)
def _kid(real, fake, rp, fp):
    return kernel_distance(real, fake)


@register_metric("precision", "share of samples on the real k-NN manifold", True, "features", kinds=IMAGES)
def _precision(real, fake, rp, fp):
    return manifold_coverage(real, fake)


@register_metric("recall", "share of real images on the samples' k-NN manifold", True, "features", kinds=IMAGES)
def _recall(real, fake, rp, fp):
    return manifold_coverage(fake, real)


@register_metric("modes", "classes the classifier finds among the samples", True, "features", kinds=IMAGES)
def _modes(real, fake, rp, fp):
    return float(len(np.unique(fp.argmax(1))))


@register_metric("kl_uniform", "KL(class histogram of the samples ‖ uniform)", False, "features", kinds=IMAGES)
def _kl(real, fake, rp, fp):
    h = np.bincount(fp.argmax(1), minlength=fp.shape[1]) / len(fp)
    nz = h > 0
    return float((h[nz] * np.log(h[nz] * fp.shape[1])).sum())


@register_metric("feature_spread", "mean pairwise feature distance among samples", True, "features", kinds=IMAGES)
def _spread(real, fake, rp, fp):
    import torch

    d = torch.cdist(torch.from_numpy(fake).double(), torch.from_numpy(fake).double())
    n = len(fake)
    return float(d.sum() / (n * (n - 1)))


@register_metric(
    "duplicates",
    "share of samples whose nearest other sample is closer than 99% of real images' are",
    False,
    "features",
    kinds=IMAGES,
)
def _dups(real, fake, rp, fp):
    import torch

    thr = torch.quantile(_nn_distances(real), 0.01)  # by construction about 1% for a fresh real set
    return float((_nn_distances(fake) < thr).double().mean())


# the class-free feature metrics, recorded again on Inception v3 features by `ganscope-evaluate --inception`
INCEPTION_METRICS = ("fd", "kid", "precision", "recall", "feature_spread", "duplicates")
for _name in INCEPTION_METRICS:
    register_metric(
        f"inception_{_name}", METRICS[_name].meaning.replace("classifier", "Inception v3") + " (Inception v3 features)",
        METRICS[_name].higher_is_better, "inception", kinds=IMAGES,
    )  # fmt: skip


# --- face metrics (ganscope-evaluate on face runs): fn(face_probs) on O-Net's face probabilities ---------


@register_metric("face_prob", "mean probability MTCNN's O-Net gives the samples of being a face (real ORL crops: 1.0)",
                 True, "face", ("folder",), kinds=IMAGES)  # fmt: skip
def face_prob(probs: np.ndarray) -> float:
    return float(np.mean(probs))


from . import toy_metrics  # noqa: E402, F401 - registers the toy GANs' metrics (it imports this module)
