"""``ganscope-diagnose``: a verdict on how a run trained, with the evidence that led to it.

Verdicts: ``stable``, ``mode_collapse``, ``convergence_failure``, ``oscillation``, ``diverged``.
They start from the signatures of Brownlee's failure-modes chapter and add sample-based evidence:

* healthy: each loss term in the band of the run's loss (``BANDS``: BCE, least squares, hinge; a
  Wasserstein critic has none), D not giving every real and every fake the same answer;
* unbalanced: a loss term outside that band, or D calling everything real (or fake): one network
  dominates, or (the one-parameter GAN) no equilibrium exists;
* convergence failure: D loss falls to about 0 and stays there, G loss climbs (or falls to 0),
  D accuracy 100% on real and fake, samples are noise;
* mode collapse: few distinct samples (near-duplicates, few classes), often with G loss oscillating
  and D accuracy on fakes near 100%;
* oscillation: losses and accuracies swinging widely inside a window without settling;
* diverged: a NaN or Inf in the log.

The log is cut into ``windows`` equal spans of steps; each window gets a verdict, and the run gets
one from the windows and the last snapshot's sample metrics. Every threshold is in ``RULES``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import runs
from .metrics import latest

VERDICTS = ("stable", "unbalanced", "mode_collapse", "convergence_failure", "oscillation", "diverged")


@dataclass(frozen=True)
class Band:
    """Where a loss's values sit while neither network dominates: each of D's two terms (on real and on
    fake, taken one by one: their mean hides a D that calls everything fake) and G's loss.

    Attributes:
        d_term: (low, high) for the window's mean of D's loss on real, and separately on fake.
        g: (low, high) for the window's mean G loss.
        equilibrium: the values at the equilibrium D(x) = 1/2 everywhere, in words.
    """

    d_term: tuple[float, float]
    g: tuple[float, float]
    equilibrium: str


# Healthy bands per loss (TrainConfig.loss). At equilibrium D says 1/2 (logit 0) to everything:
# BCE gives ln 2 = 0.69 per term, least squares (0.5 - t)² = 0.25 per term, hinge relu(1 ± 0) = 1 per term.
# A Wasserstein critic's loss is a distance estimate with no fixed healthy value: no band (None).
BANDS: dict[str, Band | None] = {
    "bce": Band((0.2, 1.2), (0.5, 3.0), "D's terms ln 2 = 0.69 each, G's (non-saturating) 0.69"),
    "mse": Band((0.1, 0.4), (0.1, 0.6), "D's terms 0.25 each (D says 0.5 to everything), G's 0.25"),
    "mse_linear": Band((0.1, 0.4), (0.1, 0.6), "D's terms 0.25 each (D's score 0.5 everywhere), G's 0.25"),
    "hinge": Band((0.4, 1.6), (-1.0, 1.0), "D's terms 1 each (D's output 0 everywhere), G's 0"),
    "wasserstein": None,
}

RULES = {
    # convergence failure: the discriminator has won
    "cf_d_loss_max": 0.05,  # mean of D loss on real and on fake below this ...
    "cf_acc_min": 0.98,  # ... with D accuracy on real and on fake both above this
    # mode collapse, from samples (the decisive evidence)
    "mc_near_duplicates_min": 0.5,  # share of samples with a near-identical twin (pixel RMS < 0.03)
    "mc_duplicates_min": 0.5,  # share of feature-space duplicates (ganscope-evaluate)
    "mc_modes_max_share": 0.35,  # classes found among samples below this share of all classes (ganscope-evaluate)
    "mc_diversity_drop": 0.4,  # diversity below this fraction of its peak over training
    "mc_ring_modes_max": 4,  # ring-8: this many modes covered or fewer
    # oscillation: wide swings inside a window
    "osc_g_cv_min": 0.5,  # coefficient of variation of G loss within the window above this ...
    "osc_acc_range_min": 0.6,  # ... and D accuracy on fakes spanning more than this
    # one-sided discriminator: D gives every real and every fake the same answer (accuracy on one side
    # below this, on the other above 1 minus this), whatever the losses say
    "one_sided_acc": 0.1,
    # the healthy bands of the losses are per loss: BANDS
}


@dataclass
class Evidence:
    rule: str
    value: float
    threshold: float | str
    steps: tuple[int, int]
    note: str = ""


@dataclass
class Window:
    start: int
    end: int
    verdict: str
    evidence: list[Evidence] = field(default_factory=list)
    stats: dict = field(default_factory=dict)


@dataclass
class Diagnosis:
    verdict: str
    evidence: list[Evidence]
    windows: list[Window]

    def to_dict(self) -> dict:
        return asdict(self)


def _col(records: list[dict], key: str) -> np.ndarray:
    return np.array([np.nan if r.get(key) is None else r[key] for r in records], dtype=float)


def diagnose_window(records: list[dict], loss: str = "bce") -> Window:
    """The verdict of one span of log records of a run trained with ``loss`` (its healthy band: ``BANDS``)."""
    span = (int(records[0]["step"]), int(records[-1]["step"]))
    bad = [r for r in records if r.get("nonfinite")]
    if bad:
        return Window(
            *span,
            "diverged",
            [
                Evidence(
                    "nonfinite", 1.0, "any", (bad[0]["step"], bad[-1]["step"]), f"{', '.join(bad[0]['nonfinite'])} became NaN/Inf"
                )
            ],
        )
    d = np.nanmean([_col(records, "d_loss_real"), _col(records, "d_loss_fake")], axis=0)
    g = _col(records, "g_loss")
    acc_r, acc_f = _col(records, "d_acc_real"), _col(records, "d_acc_fake")
    stats = {
        "d_loss": float(np.nanmean(d)),
        "g_loss": float(np.nanmean(g)),
        "d_acc_real": float(np.nanmean(acc_r)),
        "d_acc_fake": float(np.nanmean(acc_f)),
        "g_cv": float(np.nanstd(g) / max(abs(np.nanmean(g)), 1e-8)),
        "acc_fake_range": float(np.nanpercentile(acc_f, 95) - np.nanpercentile(acc_f, 5)),
    }
    R = RULES
    if stats["d_loss"] < R["cf_d_loss_max"] and min(stats["d_acc_real"], stats["d_acc_fake"]) > R["cf_acc_min"]:
        return Window(
            *span,
            "convergence_failure",
            [
                Evidence("d_loss", stats["d_loss"], f"< {R['cf_d_loss_max']}", span, "discriminator loss about 0"),
                Evidence(
                    "d_acc",
                    min(stats["d_acc_real"], stats["d_acc_fake"]),
                    f"> {R['cf_acc_min']}",
                    span,
                    "discriminator right on every real and fake image",
                ),
                Evidence("g_loss", stats["g_loss"], "high", span, "generator loss"),
            ],
            stats,
        )
    if stats["g_cv"] > R["osc_g_cv_min"] and stats["acc_fake_range"] > R["osc_acc_range_min"]:
        return Window(
            *span,
            "oscillation",
            [
                Evidence("g_cv", stats["g_cv"], f"> {R['osc_g_cv_min']}", span, "G loss swings widely"),
                Evidence(
                    "acc_fake_range",
                    stats["acc_fake_range"],
                    f"> {R['osc_acc_range_min']}",
                    span,
                    "D accuracy on fakes swings between extremes",
                ),
            ],
            stats,
        )
    ev = _band_evidence(records, stats, span, loss)
    healthy = all(e.note == IN_BAND for e in ev)
    return Window(*span, "stable" if healthy else "unbalanced", ev, stats)


IN_BAND = "in the healthy band"


def _band_evidence(records: list[dict], stats: dict, span: tuple[int, int], loss: str) -> list[Evidence]:
    """Evidence rows of a window that is neither failing nor oscillating: each loss term against the
    healthy band of ``loss``, and D's accuracy when it gives real and fake the same answer."""
    band = BANDS.get(loss)
    ev = []

    def row(rule: str, value: float, lo_hi: tuple[float, float], what: str) -> None:
        lo, hi = lo_hi
        inside = lo <= value <= hi
        note = IN_BAND if inside else f"outside the healthy band of {loss} ({what})"
        ev.append(Evidence(rule, value, f"{lo}-{hi}", span, note))

    if band is not None:
        for key, what in (("d_loss_real", "D's loss on real"), ("d_loss_fake", "D's loss on fake")):
            row(key, float(np.nanmean(_col(records, key))), band.d_term, what)
        row("g_loss", stats["g_loss"], band.g, "G's loss")
    t = RULES["one_sided_acc"]
    a_r, a_f = stats["d_acc_real"], stats["d_acc_fake"]
    if (a_r < t and a_f > 1 - t) or (a_r > 1 - t and a_f < t):
        says = "fake" if a_r < t else "real"
        ev.append(
            Evidence(
                "d_acc_real",
                a_r,
                f"one-sided: < {t} on one, > {1 - t:g} on the other",
                span,
                f"D calls everything {says} (accuracy {a_r:.2f} on real, {a_f:.2f} on fake): no balance between the networks",
            )
        )
    elif not ev:
        ev.append(Evidence("d_acc_real", a_r, f"{t}-{1 - t:g}", span, IN_BAND))
    return ev


def _sample_evidence(metrics: list[dict], images: bool = True, n_classes: int = 10) -> list[Evidence]:
    """Mode-collapse evidence from the last snapshot's sample metrics (pixel near-duplicates and
    diversity only mean something for images: 2-D points are near each other by nature)."""
    if not metrics:
        return []
    R = RULES
    last = latest(metrics)
    last_step = int(last.get("step") or 0)
    span = (last_step, last_step)
    ev = []
    if images and last.get("near_duplicates") is not None and last["near_duplicates"] >= R["mc_near_duplicates_min"]:
        ev.append(
            Evidence(
                "near_duplicates",
                last["near_duplicates"],
                f">= {R['mc_near_duplicates_min']}",
                span,
                "many samples have a near-identical twin",
            )
        )
    if last.get("duplicates") is not None and last["duplicates"] >= R["mc_duplicates_min"]:
        ev.append(
            Evidence(
                "duplicates",
                last["duplicates"],
                f">= {R['mc_duplicates_min']}",
                span,
                "feature-space duplicates (birthday check)",
            )
        )
    if last.get("modes") is not None and last["modes"] <= R["mc_modes_max_share"] * n_classes:
        ev.append(
            Evidence(
                "modes",
                last["modes"],
                f"<= {R['mc_modes_max_share'] * n_classes:g} of {n_classes}",
                span,
                "the classifier finds few classes among the samples",
            )
        )
    if last.get("ring_modes") is not None and last["ring_modes"] <= R["mc_ring_modes_max"]:
        ev.append(
            Evidence(
                "ring_modes", last["ring_modes"], f"<= {R['mc_ring_modes_max']} of 8", span, "few of the ring's modes are covered"
            )
        )
    div = [m["diversity"] for m in metrics if m.get("diversity") is not None]
    if images and len(div) >= 2 and div[-1] < R["mc_diversity_drop"] * max(div):
        ev.append(
            Evidence(
                "diversity_drop",
                div[-1] / max(div),
                f"< {R['mc_diversity_drop']} of peak",
                span,
                f"sample diversity fell from {max(div):.3f} to {div[-1]:.3f}",
            )
        )
    return ev


def diagnose(
    log: list[dict],
    metrics: list[dict] | None = None,
    windows: int = 10,
    images: bool = True,
    n_classes: int = 10,
    loss: str = "bce",
) -> Diagnosis:
    """Verdict for a run from its log records and per-snapshot metrics; ``loss`` picks the healthy band.

    The verdict never contradicts its evidence: ``stable`` only with every row in the healthy band,
    ``unbalanced`` when most late windows have a row outside it (its evidence: that window's rows)."""
    if not log:
        raise ValueError("the run has no training log to diagnose")
    n = max(1, min(windows, len(log)))
    chunks = [c for c in np.array_split(np.arange(len(log)), n) if len(c)]
    ws = [diagnose_window([log[i] for i in c], loss) for c in chunks]
    counts = {v: sum(w.verdict == v for w in ws) for v in VERDICTS}
    late = ws[len(ws) // 2 :]
    sample_ev = _sample_evidence(metrics or [], images, n_classes)
    if counts["diverged"]:
        w = next(w for w in ws if w.verdict == "diverged")
        return Diagnosis("diverged", w.evidence, ws)
    if sum(w.verdict == "convergence_failure" for w in late) > len(late) / 2:
        ev = [e for w in late if w.verdict == "convergence_failure" for e in w.evidence[:1]]
        return Diagnosis("convergence_failure", ev + sample_ev, ws)
    if sample_ev:
        return Diagnosis("mode_collapse", sample_ev, ws)
    if sum(w.verdict == "oscillation" for w in late) > len(late) / 2:
        return Diagnosis("oscillation", [e for w in late if w.verdict == "oscillation" for e in w.evidence], ws)
    if sum(w.verdict == "unbalanced" for w in late) > len(late) / 2:
        w = next(w for w in reversed(late) if w.verdict == "unbalanced")
        return Diagnosis("unbalanced", [e for e in w.evidence if e.note != IN_BAND], ws)
    calm = [w for w in late if w.verdict == "stable"]
    if calm:
        return Diagnosis("stable", calm[-1].evidence, ws)
    # no majority and no calm window: the late windows' most common verdict, with its last window's evidence
    top = max(VERDICTS, key=lambda v: (sum(w.verdict == v for w in late), -VERDICTS.index(v)))
    ev = next(w for w in reversed(late) if w.verdict == top).evidence
    return Diagnosis(top, [e for e in ev if e.note != IN_BAND], ws)


def diagnose_run(run_dir: str | Path, windows: int = 10) -> Diagnosis:
    cfg = runs.read_config(run_dir)
    images = cfg.model.output.kind == "image"
    n_classes = len(cfg.classes) or 10  # the classes the data has (mnist and fashion-mnist: 10)
    return diagnose(runs.read_log(run_dir), runs.read_metrics(run_dir), windows, images, n_classes, cfg.loss)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ganscope-diagnose", description=__doc__.splitlines()[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--windows", type=int, default=10, help="spans the log is cut into (default 10)")
    p.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    args = p.parse_args(argv)
    try:
        dx = diagnose_run(args.run_dir, args.windows)
    except (runs.RunError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(dx.to_dict(), indent=1))
        return 0
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `ganscope-diagnose RUN | head` ends quietly
    print(f"{args.run_dir.name}: {dx.verdict}")
    for e in dx.evidence:
        print(f"  {e.rule} = {e.value:.4g} ({e.threshold}) at steps {e.steps[0]}-{e.steps[1]}: {e.note}")
    print("windows:")
    for w in dx.windows:
        print(f"  steps {w.start:>6}-{w.end:<6} {w.verdict:<20} " + " ".join(f"{k} {v:.3f}" for k, v in w.stats.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
