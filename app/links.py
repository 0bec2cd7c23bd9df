"""Links that reopen a view: the URL carries the run, the snapshot, the page and its main inputs.

Opening a URL applies its parameters once, at the start of the browser session, before any widget
is drawn; after that every rerun writes the view back into the URL, so the address bar (and the
sidebar's Copy link) always names what is on screen. The page itself is the URL's path
(``/interpolate``); ``run`` is a run name (``mnist-dcgan``), a folder relative to the app
(``runs/my-run``) or an absolute run folder path; ``snap`` is a snapshot's step. Each page's inputs
are listed once, in ``PAGES`` (``app.link_params``): query name -> the widget's session key, with its
type and bounds.
A parameter that is malformed or out of bounds is ignored with a sentence; a parameter a link
cannot carry (a photo's latent, say) is named under the Copy link box.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from pipelines.data import user_path

from . import hosting, state
from .link_params import PAGES, SEED, Param

APPLIED = "links_applied"  # session flag: this session's URL has been read
NOTES = "link_notes"  # sentences about parameters that were ignored
PROBLEM = "link_problem"  # the link's run cannot be opened: the sidebar refuses until another run is picked
AWAITED = "link_awaited"  # a link's run path that does not hold a run yet: looked for again on each rerun
FIT = "link_fit"  # linked values only the open run's generator can check (its classes, its layers)
RUN_CHECKED = ("class", "layer")
STEP = "link_step"  # the snapshot step the link asks for, until the run picker has its snapshots
SETS = "link_sets"  # concept-set seeds from the link, until the generator is loaded
PUBLISHED = "link_published"  # the view has been written into the URL once
FOLLOWS_NEWEST = "snapshot_follows_newest"  # set by the sidebar: a training run, its newest snapshot shown


def _short(value: str, most: int = 60) -> str:
    """A URL value as a sentence quotes it: at most ``most`` characters."""
    return value if len(value) <= most else value[: most - 1] + "…"


def page_name(url_path: str) -> str:
    """The registry's name of a page from its URL path (the default page's path is empty)."""
    return url_path or "samples"


# ---- opening a link -------------------------------------------------------------------------------


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name longer than the system allows
        return False


def resolve_run(value: str) -> tuple[Path | None, str | None]:
    """(run folder, None) for a ``?run=`` value, or (None, the sentence saying why it cannot be opened)."""
    value = value.strip()
    shown = _short(value)
    found = state.discover_runs()
    by_name = [p for p in found if p.name == value]
    if by_name:
        return by_name[0], None
    typed = user_path(value)
    candidates = [typed] if typed.is_absolute() else [state.ROOT / typed, typed]
    for path in candidates:
        if not _is_dir(path):
            continue
        refused = hosting.refusal(path, f"The link's run “{shown}”")
        if refused:
            return None, refused
        if state.runs.is_run(path):
            return path, None
        return None, f"The link's run “{shown}” is a folder but not a run (it needs config.json and snapshots/)."
    refused = hosting.refusal(typed if typed.is_absolute() else state.ROOT / typed, f"The link's run “{shown}”")
    return None, refused or (
        f"The link names run “{shown}”, which does not exist here: no run of that name in the run list, "
        "and no run folder at that path. Pick a run in the list."
    )


def awaited_path(value: str) -> Path | None:
    """The folder a ``?run=`` path value names, when a training run may yet write it there (it is a path,
    not a bare name, and inside what the host shares); None otherwise."""
    if "/" not in value:
        return None
    typed = user_path(value.strip())
    path = typed if typed.is_absolute() else state.ROOT / typed
    return None if hosting.refusal(path) else path


def _apply_run(value: str) -> None:
    path, problem = resolve_run(value)
    if problem:
        st.session_state[PROBLEM] = problem
        if awaited_path(value) is not None:  # e.g. the link ganscope-train printed, opened before its first snapshot
            st.session_state[AWAITED] = value
        return
    st.session_state.pop(AWAITED, None)
    if path in state.discover_runs():
        st.session_state["run_select"] = str(path)
        st.session_state["typed_run"] = ""
    elif hosting.path_box_shown():
        st.session_state["typed_run"] = str(path)
    else:  # the host hid the path box: only the listed runs can be opened
        st.session_state[PROBLEM] = f"The link's run “{_short(value)}” is not in this dashboard's run list."


def retry_awaited() -> None:
    """Look again for a link's run that did not exist when the link was opened (before any widget)."""
    value = st.session_state.get(AWAITED)
    if value and st.session_state.get(PROBLEM):
        st.session_state.pop(PROBLEM)
        _apply_run(value)
    elif not st.session_state.get(PROBLEM):
        st.session_state.pop(AWAITED, None)


def _apply_param(name: str, p: Param, value) -> None:
    if p.kind == "latent":
        st.session_state[f"{p.key}_mode"] = "seed"
        st.session_state[f"{p.key}_seed"] = value
    elif p.kind == "amounts":
        src = st.session_state.get("dir_source", "layer")
        for i, v in enumerate(value):
            st.session_state[f"{p.key}_{src}_{i}"] = round(v * 4) / 4  # the sliders' step is 0.25
    elif p.kind == "set":
        st.session_state.setdefault(SETS, {})[p.key] = value
    else:
        st.session_state[p.key] = value


def apply(query: dict[str, str], url_path: str) -> None:
    """Once per browser session: put the URL's view into session state before any widget is drawn."""
    if st.session_state.get(APPLIED):
        return
    st.session_state[APPLIED] = True
    notes = []
    if query.get("run"):
        _apply_run(query["run"])
    if query.get("snap"):
        try:
            st.session_state[STEP] = SEED.parse(query["snap"])
        except ValueError as e:
            notes.append(f"snap={_short(query['snap'])} {e}: ignored.")
    params = PAGES.get(page_name(url_path), {})
    for name in sorted(params, key=lambda n: n != "src"):  # the direction source first: amounts hang on it
        if name not in query:
            continue
        try:
            _apply_param(name, params[name], params[name].parse(query[name]))
            if name in RUN_CHECKED:
                st.session_state.setdefault(FIT, {})[name] = query[name]
        except ValueError as e:
            notes.append(f"{name}={_short(query[name])} {e}: ignored.")
    unknown = sorted(set(query) - set(params) - {"run", "snap"})
    if unknown:
        notes.append("Not used on this page: " + _short(", ".join(f"{n}={query[n]}" for n in unknown), 200) + ".")
    st.session_state[NOTES] = notes


def snapshot_index(steps: list[int]) -> int | None:
    """Index of the snapshot the link asked for, once (None: no request); a missing step adds a note."""
    want = st.session_state.pop(STEP, None)
    if want is None:
        return None
    if want in steps:
        return steps.index(want)
    st.session_state.setdefault(NOTES, []).append(
        f"This run has no snapshot at step {want:,}: showing the latest (step {steps[-1]:,})."
    )
    return None


def apply_sets(snapshot: str) -> None:
    """The link's concept sets, as seed members, once the run is open (their z depends on its generator)."""
    from .components import latents as lat

    pending = st.session_state.pop(SETS, None)
    G = _generator(snapshot, "The link's concept sets were not added") if pending else None
    if G is None:
        return
    label = st.session_state.get("arith_class") if G.num_classes else None
    sets = lat.concept_sets()
    for name, seeds in pending.items():
        sets[name] = [lat.entry_from_seed(G, s, label=label) for s in seeds]


def _generator(snapshot: str, not_done: str | None = None):
    """The generator of ``snapshot``, or None when it cannot be loaded (with the note ``not_done: why``, when given)."""
    try:
        return state.get_generator(snapshot)[0]
    except (state.CheckpointError, OSError) as e:
        if not_done:
            st.session_state.setdefault(NOTES, []).append(f"{not_done}: {e}.")
        return None


def _misfit(name: str, value, G) -> str | None:
    """Why a linked value does not fit the open run's generator, or None."""
    if name == "class":
        if not G.num_classes:
            return "is not used: this run has no classes"
        return None if value == "rows" or value in range(G.num_classes) else f"is outside 0–{G.num_classes - 1}"
    from pipelines.directions import probe_layers

    layers = probe_layers(G)
    return None if value in layers else "is not a layer of this generator (" + ", ".join(layers) + ")"


def fit_to_run(snapshot: str, url_path: str) -> None:
    """Once the run is open: drop (with a note) linked values its generator cannot take, so neither the page
    nor the URL keeps them (a class on an unconditional run, class 55 of 10, a layer it does not have)."""
    pending = st.session_state.pop(FIT, None)
    G = _generator(snapshot) if pending else None
    if G is None:
        return
    params = PAGES.get(page_name(url_path), {})
    for name, raw in pending.items():
        key = params[name].key
        problem = _misfit(name, st.session_state.get(key), G) if key in st.session_state else None
        if problem:
            del st.session_state[key]
            st.session_state.setdefault(NOTES, []).append(f"{name}={_short(raw)} {problem}: ignored.")


def show_notes() -> None:
    notes = st.session_state.get(NOTES)
    if notes:
        st.sidebar.warning("From the link: " + "  \n".join(notes), icon=":material/link_off:")


# ---- writing the view into the URL ----------------------------------------------------------------


def run_value(run_dir: str | Path) -> str:
    """How a link names a run: its name when that finds it, else its folder relative to the app, else absolute."""
    run_dir = Path(run_dir)
    found = state.discover_runs()
    if [p for p in found if p.name == run_dir.name][:1] == [run_dir]:
        return run_dir.name
    try:
        return str(run_dir.resolve().relative_to(state.ROOT))
    except ValueError:
        return str(run_dir.resolve())  # no `..` left in a link


def linked_step(meta: dict) -> int | None:
    """The step a link names for the snapshot on screen; None (follow the newest) while the run trains
    and its newest snapshot is shown (the sidebar says so), so a link to a live run keeps following it."""
    return None if st.session_state.get(FOLLOWS_NEWEST) else meta.get("step")


def _latent_value(prefix: str) -> tuple[str | None, str | None]:
    """(seed, None) for a latent picker, or (None, why the link cannot carry it)."""
    from .components import latents as lat

    if st.session_state.get(f"{prefix}_mode", "seed") == "seed":
        seed = st.session_state.get(f"{prefix}_seed")
        return (None if seed is None else str(int(seed))), None
    name = st.session_state.get(f"{prefix}_pick")
    entry = next((e for e in lat.store() if e.name == name), None)
    if entry and entry.seed is not None and entry.psi == 1.0:
        return str(entry.seed), None
    return None, f"the picked latent “{name}” has no seed, so the link opens the page's default there"


def _value(p: Param) -> tuple[str | None, str | None]:
    """(the query value of one input, or None when unset; a note when the link cannot carry it)."""
    s = st.session_state
    if p.kind == "latent":
        return _latent_value(p.key)
    if p.kind == "amounts":
        src = s.get("dir_source", "layer")
        shown = int(s.get("dir_k") or state.DEFAULT_DIRECTIONS)  # sliders beyond the count are gone
        vals = []
        while len(vals) < shown and f"{p.key}_{src}_{len(vals)}" in s:
            vals.append(s[f"{p.key}_{src}_{len(vals)}"])
        while vals and not vals[-1]:  # trailing zeros say nothing: a missing amount is 0
            vals.pop()
        return (",".join(f"{v:g}" for v in vals) if any(vals) else None), None
    if p.kind == "set":
        from .components import latents as lat

        members = lat.concept_sets()[p.key]
        seeds = [m.seed for m in members if m.seed is not None and m.psi == 1.0]
        note = None if len(seeds) == len(members) else f"{len(members) - len(seeds)} member(s) of set {p.key} have no seed"
        return (",".join(str(x) for x in seeds) or None), note
    if p.key not in s:
        return None, None
    v = s[p.key]
    return (f"{v:g}" if isinstance(v, float) else str(v)), None


def current(run_dir: str | Path, step: int | None, url_path: str) -> tuple[dict[str, str], list[str]]:
    """(query parameters naming the view on screen, notes on what they leave out)."""
    query = {"run": run_value(run_dir)}
    if step is not None:
        query["snap"] = str(step)
    notes = []
    for name, p in PAGES.get(page_name(url_path), {}).items():
        value, note = _value(p)
        if value is not None:
            query[name] = value
        if note:
            notes.append(note)
    return query, notes


def publish(query: dict[str, str]) -> None:
    """Write the view into the address bar (only when it changed). The link's notes stay until the user
    changes a value; the first write only tidies the link (bad parameters dropped), and later ones that
    only add a page's inputs (drawn for the first time) change nothing the user did."""
    first = not st.session_state.get(PUBLISHED)
    st.session_state[PUBLISHED] = True
    shown = st.query_params.to_dict()
    if shown == query:
        return
    if not first and any(k in shown and shown[k] != v for k, v in query.items()):  # the user changed a value
        st.session_state.pop(NOTES, None)
    st.query_params.from_dict(query)


def url(query: dict[str, str]) -> str:
    """The full link: the page's address in the browser (or localhost's when unknown) and the query."""
    base = st.context.url or "http://localhost:8501/"
    if base.count("/") == 2:  # the root page: http://host:port has no path
        base += "/"
    return f"{base}?{urlencode(query, safe=',/:')}"


COPY_LINK = "copy_link"  # the popover's key: it is open (its content drawn) in session state


def copy_link(query: dict[str, str], notes: list[str]) -> None:
    """The sidebar's Copy link: the URL of this view, with a copy button, and what it leaves out. Drawn only
    while open (a first visit does not pay for the code block's highlighter)."""
    pop = st.sidebar.popover("Copy link", icon=":material/link:", width="stretch", key=COPY_LINK, on_change="rerun")
    if not pop.open:
        return
    with pop:
        st.caption("This view's link (the copy button is on the right); it reopens this run, snapshot, page and inputs:")
        st.code(url(query), language=None, wrap_lines=True)
        if notes:
            st.caption("Not in the link: " + "; ".join(notes) + ".")
