"""Serving the dashboard to others: which folders it may open, and where visitors' uploads go.

Unset (the default), the app opens any run folder typed into the sidebar, like a local tool. A host
who shares it with a class or a team sets the run roots the app may open, as an environment
variable or a Streamlit secret (``.streamlit/secrets.toml``); the environment wins:

    GANSCOPE_ALLOWED_ROOTS=/srv/runs:/srv/more     allowed_roots = ["/srv/runs", "/srv/more"]
    GANSCOPE_HIDE_PATH_BOX=1                        hide_path_box = true
    GANSCOPE_UPLOAD_LIMIT_MB=50                     upload_limit_mb = 50

With roots set, the run list shows only runs under them, and any typed path or ``?run=`` value
outside them (after resolving symlinks and ``..``) is refused with a sentence; photo and data
paths likewise. Uploads (imported generators) go to a temporary folder of the visitor's own
session, never into the shared roots, and no upload may exceed the size limit.

Training from the Train page is off for visitors of a shared dashboard unless the host allows it;
then each visitor may have at most ``training_max_runs`` runs queued or training, each of at most
``training_max_steps`` steps, written into the visitor's session folder:

    GANSCOPE_ALLOW_TRAINING=1                       allow_training = true
    GANSCOPE_TRAINING_MAX_RUNS=2                    training_max_runs = 2
    GANSCOPE_TRAINING_MAX_STEPS=2000                training_max_steps = 2000

A secrets file that does not parse may hold the host's roots, so it fails closed: unless
``GANSCOPE_ALLOWED_ROOTS`` is set, the app then opens no run and says which file to fix.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from pipelines.data import user_path
from pipelines.runs import PROJECT_ROOT

DEFAULT_UPLOAD_LIMIT_MB = 50.0
SESSION_DIR_KEY = "hosting_session_dir"
SESSION_PREFIX = "ganscope-session-"
SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"


@dataclass(frozen=True)
class Hosting:
    """The host's settings: ``roots`` empty means a local app that may open any folder."""

    roots: tuple[Path, ...] = ()
    hide_path_box: bool = False
    upload_limit_mb: float = DEFAULT_UPLOAD_LIMIT_MB
    problem: str = ""  # a secrets file that does not parse: nothing is shared until it is fixed

    @property
    def restricted(self) -> bool:
        return bool(self.roots) or bool(self.problem)


def _secret(name: str):
    """A Streamlit secret, or None. Streamlit reads ``.streamlit/secrets.toml`` from the folder it was
    started in; the checkout's own file (``SECRETS_FILE``) is read too, so a host's settings hold however
    ``streamlit run /path/to/app/main.py`` is started."""
    try:
        value = st.secrets.get(name)
    except Exception:  # noqa: BLE001 - StreamlitSecretNotFoundError, or a secrets file that does not parse
        value = None
    if value is not None:
        return value
    try:
        return tomllib.loads(SECRETS_FILE.read_text(encoding="utf-8")).get(name)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None


def secrets_files() -> list[Path]:
    """The secrets files that may hold the host's settings: Streamlit's (its ``secrets.files`` option:
    ~/.streamlit and the folder it was started in) and the checkout's own."""
    try:
        files = [Path(p) for p in st.get_option("secrets.files")]
    except Exception:  # noqa: BLE001 - an option Streamlit renamed: the checkout's file still counts
        files = []
    return [*files, SECRETS_FILE]


def broken_secrets() -> str:
    """A sentence naming the first secrets file that exists but does not parse, else ""."""
    for path in secrets_files():
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            return (
                f"The host's settings file {path} cannot be read ({e}), and it may list the folders this "
                "dashboard shares, so no run is opened until it is fixed (or GANSCOPE_ALLOWED_ROOTS is set)."
            )
    return ""


def _truthy(value) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def parse_roots(value) -> tuple[Path, ...]:
    """Roots from ``a:b`` (os.pathsep) or a list, each resolved (symlinks and ``..``)."""
    items = value.split(os.pathsep) if isinstance(value, str) else list(value or [])
    return tuple(user_path(str(p)).resolve() for p in items if str(p).strip())


def settings() -> Hosting:
    """The settings now (read on every call, so a changed environment or secret applies at once)."""
    roots = os.environ.get("GANSCOPE_ALLOWED_ROOTS")
    problem = broken_secrets() if roots is None else ""
    hide = os.environ.get("GANSCOPE_HIDE_PATH_BOX")
    limit = os.environ.get("GANSCOPE_UPLOAD_LIMIT_MB")
    roots = roots if roots is not None else _secret("allowed_roots")
    hide = hide if hide is not None else _secret("hide_path_box")
    limit = limit if limit is not None else _secret("upload_limit_mb")
    try:
        limit_mb = float(limit) if limit not in (None, "") else DEFAULT_UPLOAD_LIMIT_MB
    except (TypeError, ValueError):
        limit_mb = DEFAULT_UPLOAD_LIMIT_MB
    return Hosting(parse_roots(roots), _truthy(hide) if hide is not None else False, limit_mb, problem)


def inside(path: str | os.PathLike, roots) -> bool:
    """Whether ``path``, with symlinks and ``..`` resolved, lies in one of ``roots``."""
    try:
        real = user_path(path).resolve()
    except (OSError, ValueError):  # a NUL byte, a symlink loop: not a path inside anything
        return False
    return any(real == r or r in real.parents for r in roots)


def refusal(path: str | os.PathLike, what: str = "This path", advice: str = "Pick one of the runs in the list.") -> str | None:
    """A sentence when the host's roots do not include ``path`` (nor the visitor's own uploads); else None."""
    h = settings()
    if not h.restricted or inside(path, h.roots + tuple(d for d in [session_dir(create=False)] if d)):
        return None
    if h.problem:
        return h.problem
    return f"{what} is outside the folders this dashboard shares, so it cannot be opened here. {advice}"


def session_dir(create: bool = True) -> Path | None:
    """A temporary folder of this browser session's own (imported generators land here when hosted),
    made on first use (``create=False``: None until then). Making one removes other sessions' folders
    untouched for a day, so a hosted app does not fill the temporary folder."""
    path = st.session_state.get(SESSION_DIR_KEY)
    if path and Path(path).is_dir():
        return Path(path)
    if not create:
        return None
    prune_session_dirs()
    path = tempfile.mkdtemp(prefix=SESSION_PREFIX)
    st.session_state[SESSION_DIR_KEY] = path
    return Path(path)


def prune_session_dirs(max_age_s: float = 86_400.0) -> None:
    """Remove session folders (``ganscope-session-*``) not modified for ``max_age_s`` seconds."""
    for d in Path(tempfile.gettempdir()).glob(SESSION_PREFIX + "*"):
        try:
            if time.time() - d.stat().st_mtime > max_age_s:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            continue


def upload_refusal(size_bytes: int, name: str) -> str | None:
    """A sentence when an upload is over the host's size limit (only when hosted), else None."""
    h = settings()
    if not h.restricted or size_bytes <= h.upload_limit_mb * 2**20:
        return None
    return f"{name} is {size_bytes / 2**20:.1f} MB; this dashboard takes uploads of at most {h.upload_limit_mb:g} MB."


def for_visitor(local: str, hosted: str) -> str:
    """``local`` advice (a command to run here) on a local app; ``hosted`` on a shared one, whose visitors
    have no shell on the server."""
    return hosted if settings().restricted else local


def path_box_shown() -> bool:
    """Whether to draw the boxes that take a path on the server (run folder, photo path)."""
    return not settings().hide_path_box


DEFAULT_TRAINING_MAX_RUNS = 2  # a visitor's runs queued or training at once
DEFAULT_TRAINING_MAX_STEPS = 2000  # a visitor's run stops here: a toy preset's minutes on a CPU


@dataclass(frozen=True)
class TrainingPolicy:
    """Who may start runs from the Train page: ``allowed`` with no limits on a local app; on a shared one
    only with ``allow_training``, and then ``max_runs`` at once of ``max_steps`` steps each per visitor."""

    allowed: bool
    max_runs: int | None = None
    max_steps: int | None = None
    reason: str = ""


def _setting(env: str, secret: str):
    value = os.environ.get(env)
    return value if value is not None else _secret(secret)


def _positive(value, default: int) -> int:
    try:
        return max(1, int(value)) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def training() -> TrainingPolicy:
    """The Train page's policy now (read on every call, like ``settings``)."""
    h = settings()
    if not h.restricted:
        return TrainingPolicy(True)
    if h.problem:
        return TrainingPolicy(False, reason=h.problem)
    if not _truthy(_setting("GANSCOPE_ALLOW_TRAINING", "allow_training")):
        return TrainingPolicy(
            False, reason="Training is off on this shared dashboard: the host has not allowed visitors to start runs."
        )
    runs = _positive(_setting("GANSCOPE_TRAINING_MAX_RUNS", "training_max_runs"), DEFAULT_TRAINING_MAX_RUNS)
    steps = _positive(_setting("GANSCOPE_TRAINING_MAX_STEPS", "training_max_steps"), DEFAULT_TRAINING_MAX_STEPS)
    return TrainingPolicy(True, runs, steps)


def visitor_id() -> str:
    """Who this browser session is, for the training queue's turns: its session folder's name when shared
    (made on first use), "" on a local app."""
    if not settings().restricted:
        return ""
    return session_dir().name
