"""The ``ganscope-train`` command line: presets, every setting (``--config``, ``--set``), resume, fork.

Precedence of settings: the preset < ``--config FILE`` < ``--set KEY=VALUE`` < the dedicated flags
(``--max-steps``, ``--seed``...); see ``pipelines.overrides`` and docs/command-line.md. ``--resume`` is
safe to repeat: a folder with no run yet starts it, a stopped one continues, a finished one says so and
exits 0. SIGINT and SIGTERM stop after the current step with a snapshot and the resume state
(``pipelines.stopping``); the command that continues the run is printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from . import runs
from .data import DataError
from .fork import start_fork
from .live import dashboard_link
from .overrides import OverrideError, Overrides, apply_overrides, override_record, read_config_file, to_toml
from .presets import PRESETS, TrainConfig, get_preset
from .records import TrainingDiverged
from .stopping import StopRequest
from .train import train
from .train_config import TOY_DATASETS


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ganscope-train",
        description="Train a GAN preset into a run folder. Every setting: --set KEY=VALUE (docs/command-line.md).",
    )
    p.add_argument("--preset", help="preset name (see --list-presets)")
    p.add_argument("--list-presets", action="store_true", help="list the presets, one line each, and exit")
    p.add_argument("--out", help="run folder (default: runs/PRESET)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out from its last state; safe to repeat (a folder with no run yet starts it)",
    )
    p.add_argument("--config", metavar="FILE", help="TOML or JSON file of settings (as --print-config writes, or a config.json)")
    p.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="any setting, repeatable: --set lr_d=5e-4 --set model.layernorm=false --set model.g_hidden=256,256",
    )
    p.add_argument("--print-config", action="store_true", help="print the resolved settings as TOML and exit")
    p.add_argument("--fork", metavar="RUN", help="start a new run (--out) from RUN's kept state at --at STEP")
    p.add_argument("--at", type=int, metavar="STEP", help="the parent's step to fork from (one with a kept state)")
    p.add_argument("--keep-states", type=int, metavar="N", help="keep the resume states of the last N snapshots (default 3)")
    p.add_argument("--epochs", type=int, help="total epochs")
    p.add_argument("--max-steps", type=int, help="stop after this many steps in total")
    p.add_argument("--seed", type=int, help="random seed (weights, noise, data order)")
    p.add_argument("--data-dir", help="dataset folder (IDX files, torchvision root or image folder)")
    p.add_argument(
        "--dataset", choices=("mnist", "fashion-mnist", "cifar10", "folder", *TOY_DATASETS), help="override the dataset"
    )
    p.add_argument("--download", action="store_true", help="let torchvision download missing data")
    p.add_argument("--limit", type=int, help="train on the first N images only")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--snapshot-every", type=int, help="extra snapshots every N steps")
    p.add_argument("--image-size", type=int, help="DCGAN image size (e.g. 64 or 80 for the faces presets)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--compile", action="store_true", help="torch.compile the networks instead of CUDA graphs")
    p.add_argument("--no-cuda-graphs", action="store_true", help="on CUDA, run each step eagerly (no graph replay)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-keep-d", action="store_true", help="do not keep the discriminator beside each snapshot")
    return p


@dataclasses.dataclass
class Plan:
    """What one command line resolves to: the settings, the folder, and what config.json records."""

    cfg: TrainConfig
    out: Path
    resume: bool
    records: dict
    fork_from: tuple[Path, int] | None = None


class UsageError(ValueError):
    """A command line that cannot work (exit status 2)."""


def _flag_changes(args: argparse.Namespace, cfg: TrainConfig, has_state: bool) -> dict:
    """The dedicated flags' changes (they win over --config and --set); seed and batch size stay
    as they were when a run with a resume state continues."""
    changes = {
        "epochs": args.epochs,
        "max_steps": args.max_steps,
        "seed": None if has_state else args.seed,
        "data_dir": args.data_dir,
        "dataset": args.dataset,
        "limit": args.limit,
        "batch_size": None if has_state else args.batch_size,
        "snapshot_every": args.snapshot_every,
        "keep_states": args.keep_states,
        "download": True if args.download else None,
        "keep_d": False if args.no_keep_d else None,
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    if args.image_size and not has_state:
        if not hasattr(cfg.model, "image_size"):
            raise ValueError(f"--image-size applies to DCGAN presets, not {cfg.preset}")
        changes["model.image_size"] = args.image_size
    return changes


def _apply_flags(cfg: TrainConfig, flags: dict) -> TrainConfig:
    model = {k.removeprefix("model."): v for k, v in flags.items() if k.startswith("model.")}
    train_changes = {k: v for k, v in flags.items() if not k.startswith("model.")}
    if model:
        train_changes["model"] = dataclasses.replace(cfg.model, **model)
    return cfg.replace(**train_changes)


def resolve(args: argparse.Namespace) -> Plan:
    """The settings, run folder and records a command line asks for (no files written)."""
    if args.fork and (args.at is None or not args.out):
        raise UsageError("--fork RUN needs --at STEP and --out NEW")
    if args.at is not None and not args.fork:
        raise UsageError("--at STEP goes with --fork RUN")
    from_file = read_config_file(args.config) if args.config else None
    # a --config file names its preset (--print-config writes it, a run's config.json holds it): no --preset needed
    preset_name = args.preset or (str(from_file["preset"]) if from_file and from_file.get("preset") else None)
    if not args.out and not preset_name:
        raise UsageError("--preset is required (see --list-presets)" if not args.resume else "--resume needs --out RUN_DIR")
    out = Path(args.out or f"runs/{preset_name}")
    has_config = (out / runs.CONFIG).is_file()
    has_state = args.resume and (out / runs.STATE).is_file()
    fork_from, records = None, {}
    if args.resume and has_config:  # the run's own settings; the same command's --set and flags again on top
        base = preset = runs.read_config(out)
        if preset_name and preset_name != base.preset:
            raise UsageError(f"{out} holds a {base.preset} run, not {preset_name}")
        records = runs.read_records(out)
    elif args.fork:
        base = preset = runs.read_config(args.fork)
        fork_from = (Path(args.fork), args.at)
    else:
        if not preset_name:
            raise UsageError(f"--preset is required: {out} holds no run yet to resume")
        base = preset = get_preset(preset_name)
    cfg = apply_overrides(base, from_file, args.set)
    flags = _flag_changes(args, cfg, has_state)
    cfg = _apply_flags(cfg, flags)
    ov = Overrides(args.config, tuple(args.set), flags)
    if not records and ov:
        records["overrides"] = override_record(preset, cfg, ov)
    return Plan(cfg, out, bool(args.resume or args.fork), records, fork_from)


def resume_command(argv: Sequence[str]) -> str:
    """The command that continues this run: the same one with --resume."""
    args = [a for a in argv if a != "--resume"]
    return shlex.join(["ganscope-train", *args, "--resume"])


def _print_dashboard_link(out: Path) -> None:
    """Where to watch the run while it trains (printed once the run folder exists)."""
    command, url = dashboard_link(out)
    print(f"watch it train: {command}  (if the dashboard is not running yet), then open {url}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.list_presets:
        width = max(len(n) for n in PRESETS)
        for name, preset in PRESETS.items():
            print(f"{name:<{width}}  {preset.description}")
        return 0
    stop = StopRequest()
    try:
        plan = resolve(args)
        if args.print_config:
            print(to_toml(plan.cfg), end="")
            return 0
        with stop.installed():
            if plan.fork_from is not None:
                plan.records["fork"] = start_fork(*plan.fork_from, plan.out)
            graphs = False if args.no_cuda_graphs else None
            train(plan.cfg, plan.out, plan.resume, args.device, not args.no_progress, compile=args.compile,
                  cuda_graphs=graphs, stop=stop, records=plan.records, on_ready=_print_dashboard_link)  # fmt: skip
    except runs.RunFinished as e:
        print(str(e))
        return 0
    except (UsageError, OverrideError, KeyError) as e:
        print(f"error: {e.args[0]}", file=sys.stderr)
        return 2
    except (runs.RunError, DataError, TrainingDiverged, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # a second Ctrl-C: the last resume state written stays
        print(f"\ninterrupted; continue with: {resume_command(argv)}", file=sys.stderr)
        return 130
    if stop.requested:
        print(f"stopped; the resume state is saved. Continue with: {resume_command(argv)}", file=sys.stderr, flush=True)
        return stop.exit_status
    print(f"run written to {plan.out}")
    return 0
