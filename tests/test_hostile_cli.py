"""Hostile use of the command-line jobs, on real data and real shipped runs (copied where a job writes):
a relative data path from another folder, a crafted resume state, shipping onto an existing folder, a
folder dataset with unreadable files, and the ablation's closing summary."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import CHECKPOINTS


def _copy(name: str, root: Path) -> Path:
    dst = root / name
    shutil.copytree(CHECKPOINTS / name, dst)
    return dst


def test_evaluate_finds_a_relative_data_dir_from_any_folder_and_says_where_it_looked(tmp_path):
    import json
    import os
    import subprocess
    import sys

    (tmp_path / "elsewhere").mkdir()
    run = _copy("mnist-mlp-naive", tmp_path / "elsewhere")
    assert json.loads((run / "config.json").read_text())["train"]["data_dir"] == "../shared/data/mnist"
    env = {**os.environ, "PYTHONPATH": str(CHECKPOINTS.parent)}
    cmd = [sys.executable, "-m", "pipelines.evaluate", str(run), "--samples", "40", "--json"]
    out = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert len(json.loads(out.stdout)) == 2 and "fd" in json.loads(out.stdout)[-1]
    cfg = json.loads((run / "config.json").read_text())
    cfg["train"]["data_dir"] = "../no/such/mnist"
    (run / "config.json").write_text(json.dumps(cfg))
    out = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "'../no/such/mnist' was not found; looked in" in out.stderr and str(tmp_path.parent / "no" / "such") in out.stderr


class _Evil:
    """Unpickling this would run a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_resuming_from_a_crafted_state_pt_is_refused_in_one_line_of_our_own(tmp_path):
    import io
    import os
    import subprocess
    import sys

    import torch

    run = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(CHECKPOINTS.parent)}
    cmd = [sys.executable, "-m", "pipelines.train", "--preset", "pattern-1010", "--max-steps", "5", "--out", str(run)]
    assert subprocess.run(cmd, env=env, capture_output=True, timeout=300).returncode == 0
    buf = io.BytesIO()
    torch.save({"G": _Evil(tmp_path / "pwned")}, buf)
    (run / "state.pt").write_bytes(buf.getvalue())
    out = subprocess.run([*cmd[:-4], "--out", str(run), "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 1 and not (tmp_path / "pwned").exists()
    lines = [ln for ln in out.stderr.splitlines() if ln.strip() and "%|" not in ln]
    said = f"error: {run / 'state.pt'}: refused to load the resume state: it holds Python objects other than tensors"
    assert len(lines) == 1 and lines[0].startswith(said) and "weights_only" not in out.stderr, lines


def test_ship_refuses_an_existing_destination_without_force(tmp_path, capsys):
    from pipelines.ship import main

    run = _copy("toy-scalar", tmp_path)
    dest = tmp_path / "shipped"
    dest.mkdir()
    (dest / "precious.txt").write_text("keep me")
    assert main([str(run), str(dest), "--keep", "2"]) == 1
    assert f"{dest} already exists: pass --force to replace it" in capsys.readouterr().err
    assert (dest / "precious.txt").read_text() == "keep me"
    assert main([str(run), str(dest), "--keep", "2", "--force"]) == 0
    assert not (dest / "precious.txt").exists() and len(list((dest / "snapshots").iterdir())) == 2
    assert main([str(run), str(tmp_path / "new"), "--keep", "2"]) == 0


def test_a_folder_dataset_s_unreadable_files_are_listed_in_the_run_folder(tmp_path):
    import json

    from PIL import Image

    from pipelines import runs
    from pipelines.data import load_dataset

    src = tmp_path / "photos"
    src.mkdir()
    for i in range(3):
        Image.new("RGB", (40, 30), (i * 60, 80, 90)).save(src / f"ok{i}.png")
    (src / "empty.jpg").write_bytes(b"")
    (src / "text.png").write_text("not an image")
    data = load_dataset("folder", src, 16, 1)
    assert len(data) == 3
    run = tmp_path / "run"
    run.mkdir()
    path = runs.write_skipped(run, data.skipped)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert path == run / runs.SKIPPED and sorted(Path(r["file"]).name for r in rows) == ["empty.jpg", "text.png"]
    assert all(r["reason"] for r in rows)
    assert runs.write_skipped(run, []) is None and not path.exists()


def test_ablation_ends_with_a_summary_table(mnist_dir, tmp_path, capsys):
    from pipelines.ablation import main

    assert (
        main(["--data-dir", str(mnist_dir), "--out", str(tmp_path), "--epochs", "1", "--limit", "64", "--batch-size", "32"]) == 0
    )
    out = capsys.readouterr().out
    table = out[out.index("summary") :].splitlines()[1:]
    assert table[0].split() == [
        "run", "optimiser", "activation", "LayerNorm", "D", "loss", "G", "loss", "diversity", "near_duplicates", "verdict"
    ]  # fmt: skip
    rows = table[2:]
    assert len(rows) == 8 and {r.split()[0] for r in rows} == {p.name for p in tmp_path.iterdir()}
    assert all(len(r.split()) == 9 for r in rows), rows  # every column filled
