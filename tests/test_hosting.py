"""The dashboard served to others (AppTest): with allowed run roots set, typed paths and ``?run=``
values outside them are refused (``..``, absolute paths, symlinks pointing out), the run list holds
only their runs, the path boxes can be hidden, and a visitor's uploads stay in their own session."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from app import hosting
from tests.conftest import ROOT
from tests.test_app_import import _dcgan_file

APP = str(ROOT / "app" / "dashboard.py")
CHECKPOINTS = ROOT / "checkpoints"
REFUSED = "is outside the folders this dashboard shares"


@pytest.fixture
def hosted(tmp_path, monkeypatch):
    """Roots holding one run (ring-8), a run outside them (pattern-1010) and a symlink in the roots to it."""
    roots, outside = tmp_path / "shared-runs", tmp_path / "private"
    roots.mkdir()
    shutil.copytree(CHECKPOINTS / "ring-8", roots / "ring-8")
    shutil.copytree(CHECKPOINTS / "pattern-1010", outside / "secret")
    (roots / "sneaky").symlink_to(outside / "secret", target_is_directory=True)
    for var in ("GANSCOPE_RUNS", "GANSCOPE_IMPORT_DIR", "GANSCOPE_HIDE_PATH_BOX"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GANSCOPE_ALLOWED_ROOTS", str(roots))
    return {"roots": roots, "outside": outside / "secret", "sneaky": roots / "sneaky", "tmp": tmp_path}


def _open(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if query:
        at.query_params.update(query)
    return at.run()


def _run_shown(at: AppTest) -> str | None:
    return at.session_state["run_dir"] if "run_dir" in at.session_state else None


def test_run_list_holds_only_the_runs_inside_the_roots(hosted):
    at = _open()
    assert not at.exception
    assert at.sidebar.selectbox(key="run_select").options == [f"ring-8  ({hosted['roots']})"]
    assert _run_shown(at) == str(hosted["roots"] / "ring-8")


def test_a_visitor_is_not_told_to_run_commands_on_the_server(hosted, tmp_path, monkeypatch):
    """Empty shared roots, and the Ablation page with no ablation runs among them: the sentences say what
    is shared, not which command to run (a visitor has no shell there)."""
    empty = tmp_path / "empty-roots"
    empty.mkdir()
    monkeypatch.setenv("GANSCOPE_ALLOWED_ROOTS", str(empty))
    at = _open()
    said = " ".join(e.value for e in at.sidebar.error)
    assert "No runs in the folders this dashboard shares" in said and "ganscope-train" not in said
    monkeypatch.setenv("GANSCOPE_ALLOWED_ROOTS", str(hosted["roots"]))
    at = _open()
    at.switch_page("views/ablation.py").run()
    assert not at.exception
    infos = " ".join(i.value for i in at.info)
    assert "No ablation runs are shared on this dashboard" in infos and "ganscope-ablation" not in infos


@pytest.mark.parametrize("which", ["dotdot", "absolute", "symlink", "symlink-by-name", "nul"])
def test_links_outside_the_roots_are_refused(hosted, which):
    value = {
        "nul": f"{hosted['roots']}/ring-8\x00/../../private/secret",
        "dotdot": f"{hosted['roots']}/../private/secret",
        "absolute": str(hosted["outside"]),
        "symlink": str(hosted["sneaky"]),
        "symlink-by-name": "sneaky",
    }[which]
    at = _open({"run": value})
    assert not at.exception
    errors = " ".join(e.value for e in at.sidebar.error)
    assert REFUSED in errors or "does not exist here" in errors, errors
    assert _run_shown(at) is None  # nothing opened, not even the first run in the list
    assert "Nothing to show" in at.main.info[0].value
    at.sidebar.button(key="link_dismiss").click().run()  # the one listed run, picked on purpose
    assert _run_shown(at) == str(hosted["roots"] / "ring-8") and not at.sidebar.error


@pytest.mark.parametrize("which", ["dotdot", "absolute", "symlink"])
def test_typed_paths_outside_the_roots_are_refused(hosted, which):
    value = {
        "dotdot": f"{hosted['roots']}/../private/secret",
        "absolute": str(hosted["outside"]),
        "symlink": str(hosted["sneaky"]),
    }[which]
    at = _open()
    at.sidebar.text_input(key="typed_run").set_value(value).run()
    assert not at.exception
    assert REFUSED in at.sidebar.error[0].value
    assert _run_shown(at) is None


def test_without_roots_the_same_paths_open(hosted, monkeypatch):
    """The refusal comes from the setting: a local app opens any run folder, as before."""
    monkeypatch.delenv("GANSCOPE_ALLOWED_ROOTS")
    at = _open({"run": str(hosted["outside"])})
    assert not at.sidebar.error and _run_shown(at) == str(hosted["outside"])


def test_path_boxes_can_be_hidden(hosted, monkeypatch):
    monkeypatch.setenv("GANSCOPE_HIDE_PATH_BOX", "1")
    at = _open()
    assert not [t for t in at.sidebar.text_input if t.key == "typed_run"]
    at.switch_page("views/project.py").run()
    assert not [t for t in at.text_input if t.key == "proj_path"]
    at = _open({"run": str(hosted["outside"])})  # and a link cannot reach past the list
    assert _run_shown(at) is None and at.sidebar.error


def test_photo_path_outside_the_roots_is_refused(hosted, monkeypatch):
    photo = hosted["tmp"] / "photo.png"
    photo.write_bytes((ROOT / "docs" / "img" / "samples.png").read_bytes())
    monkeypatch.setenv("GANSCOPE_ALLOWED_ROOTS", f"{hosted['roots']}:{CHECKPOINTS}")
    at = _open({"run": "faces-orl"})
    at.switch_page("views/project.py").run()
    at.text_input(key="proj_path").set_value(str(photo)).run()
    assert not at.exception
    assert REFUSED in at.error[0].value and "Upload the photo instead" in at.error[0].value


def test_uploads_stay_in_the_visitors_session(hosted):
    """An imported generator lands in a temporary folder of the session that uploaded it: that session
    opens it, another session's run list does not hold it, and nothing is written into the roots."""
    data = _dcgan_file(hosted["tmp"] / "netG_epoch_24.pth").read_bytes()
    before = sorted(p.name for p in hosted["roots"].iterdir())
    alice, bob = _open(), _open()
    alice.sidebar.file_uploader(key="import_upload").set_value(("netG_epoch_24.pth", data, "application/octet-stream")).run()
    assert not alice.exception
    opened = _run_shown(alice)
    assert opened and opened.endswith("netG_epoch_24") and not opened.startswith(str(hosted["roots"]))
    assert opened.startswith(alice.session_state[hosting.SESSION_DIR_KEY])
    bob.run()
    assert all("netG_epoch_24" not in o for o in bob.sidebar.selectbox(key="run_select").options)
    bob.sidebar.text_input(key="typed_run").set_value(opened).run()  # nor can bob type his way into it
    assert REFUSED in bob.sidebar.error[0].value
    assert sorted(p.name for p in hosted["roots"].iterdir()) == before


def test_uploads_over_the_size_limit_are_refused(hosted, monkeypatch):
    monkeypatch.setenv("GANSCOPE_UPLOAD_LIMIT_MB", "0.01")
    data = _dcgan_file(hosted["tmp"] / "netG.pth").read_bytes()
    assert len(data) > 0.01 * 2**20
    at = _open()
    at.sidebar.file_uploader(key="import_upload").set_value(("netG.pth", data, "application/octet-stream")).run()
    assert not at.exception
    assert "uploads of at most 0.01 MB" in at.sidebar.error[0].value
    assert _run_shown(at) == str(hosted["roots"] / "ring-8")


def test_a_failed_upload_does_not_send_a_visitor_to_a_shell_they_lack(hosted):
    """A local user is told the ganscope-import command for files that need hints; a visitor of a hosted
    dashboard cannot run it, so they are told to ask the host."""
    at = _open()
    at.sidebar.file_uploader(key="import_upload").set_value(("notes.h5", b"not a model", "application/octet-stream")).run()
    assert not at.exception
    message = at.sidebar.error[0].value
    assert "Nothing was written" in message and "ask whoever hosts" in message and "--out runs/NAME" not in message


def test_a_hosted_visitor_is_not_told_an_option_to_pass(hosted):
    """A graph whose output range is unknown: the CLI's message says which option to pass; the hosted
    uploader takes no options, so it names the problem and points to the host, without the option."""
    import torch
    from torch import nn

    from tests.test_import_onnx import export

    torch.manual_seed(0)
    path = hosted["tmp"] / "linear.onnx"
    export(nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 784)), torch.randn(2, 8), path)
    at = _open()
    at.sidebar.file_uploader(key="import_upload").set_value(("linear.onnx", path.read_bytes(), "application/octet-stream")).run()
    assert not at.exception
    message = at.sidebar.error[0].value
    assert "output range is unknown" in message and "ask whoever hosts" in message, message
    assert "--output-range" not in message and "pass --" not in message, message


def test_settings_come_from_secrets_when_the_environment_is_silent(tmp_path, monkeypatch):
    for var in ("GANSCOPE_ALLOWED_ROOTS", "GANSCOPE_HIDE_PATH_BOX", "GANSCOPE_UPLOAD_LIMIT_MB"):
        monkeypatch.delenv(var, raising=False)
    secrets = {"allowed_roots": [str(tmp_path / "a"), str(tmp_path / "b" / ".." / "c")], "hide_path_box": True}
    monkeypatch.setattr(hosting, "_secret", secrets.get)
    h = hosting.settings()
    assert h.roots == ((tmp_path / "a").resolve(), (tmp_path / "c").resolve())
    assert h.hide_path_box and h.upload_limit_mb == hosting.DEFAULT_UPLOAD_LIMIT_MB
    assert hosting.inside(tmp_path / "a" / "run" / ".." / "run2", h.roots)
    assert not hosting.inside(tmp_path / "a" / ".." / "b", h.roots)


def test_the_checkouts_secrets_file_applies_from_any_folder(tmp_path, monkeypatch):
    """Streamlit reads .streamlit/secrets.toml from the folder it is started in; the host's file in the
    checkout must hold when the app is started from elsewhere."""
    for var in ("GANSCOPE_ALLOWED_ROOTS", "GANSCOPE_HIDE_PATH_BOX", "GANSCOPE_UPLOAD_LIMIT_MB"):
        monkeypatch.delenv(var, raising=False)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'allowed_roots = ["{tmp_path}"]\nhide_path_box = true\nupload_limit_mb = 3\n')
    monkeypatch.setattr(hosting, "SECRETS_FILE", secrets)
    monkeypatch.chdir(tmp_path / "..")
    h = hosting.settings()
    assert h.roots == (tmp_path.resolve(),) and h.hide_path_box and h.upload_limit_mb == 3


def test_a_secrets_file_that_does_not_parse_shares_nothing(tmp_path, monkeypatch):
    """The broken file may hold the host's roots: the app opens no run (listed, typed or linked) and says
    which file to fix, instead of falling back to opening anything. The environment still wins."""
    for var in ("GANSCOPE_ALLOWED_ROOTS", "GANSCOPE_HIDE_PATH_BOX", "GANSCOPE_UPLOAD_LIMIT_MB", "GANSCOPE_RUNS"):
        monkeypatch.delenv(var, raising=False)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'allowed_roots = ["{tmp_path}"\n')  # the closing bracket forgotten
    monkeypatch.setattr(hosting, "SECRETS_FILE", secrets)
    h = hosting.settings()
    assert h.restricted and not h.roots and str(secrets) in h.problem
    at = _open()
    assert not _run_shown(at) and "cannot be read" in " ".join(e.value for e in at.sidebar.error)
    at = _open({"run": str(CHECKPOINTS / "ring-8")})
    assert not _run_shown(at) and "cannot be read" in " ".join(e.value for e in at.sidebar.error)
    assert not at.exception
    data = _dcgan_file(tmp_path / "netG.pth").read_bytes()  # a visitor's own upload opens nothing either
    at.sidebar.file_uploader(key="import_upload").set_value(("netG.pth", data, "application/octet-stream")).run()
    assert not _run_shown(at) and not at.exception
    errors = " ".join(e.value for e in at.sidebar.error)
    assert "cannot be read" in errors and "Nothing was written" in errors
    at.run()
    assert "cannot be read" in " ".join(e.value for e in at.sidebar.error), "the warning stays"
    monkeypatch.setenv("GANSCOPE_ALLOWED_ROOTS", str(CHECKPOINTS))
    assert _run_shown(_open({"run": str(CHECKPOINTS / "ring-8")})) == str(CHECKPOINTS / "ring-8")


def test_a_visit_leaves_no_folder_behind_and_old_session_folders_are_pruned(hosted, monkeypatch):
    import os
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(hosted["tmp"]))
    old = hosted["tmp"] / (hosting.SESSION_PREFIX + "old")
    old.mkdir()
    os.utime(old, (0, 0))
    at = _open({"run": str(hosted["outside"])})  # a visit, refused typed link and all
    at.sidebar.button(key="link_dismiss").click().run()
    made = [d for d in hosted["tmp"].glob(hosting.SESSION_PREFIX + "*") if d != old]
    assert not made, "a visit that uploads nothing makes no folder"
    hosting.prune_session_dirs()
    assert not old.exists()
