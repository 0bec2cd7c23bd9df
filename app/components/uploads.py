"""The outcome of an upload (an error naming the file, or what was done with it), drawn where a newer pick of
the same uploader hides it at once.

Why: the browser itself refuses a file over Streamlit's upload size (``server.maxUploadSize``) and sends no
rerun, so an error the page drew for the previous file stayed on screen, naming that file, beside the
uploader's own "file too large" (issue 23 item 8). Each outcome is drawn in a container keyed
``<uploader key>-outcome-<file id>``; one small script (``guard()``, installed once per page) hides every outcome
of an uploader the moment the user picks or drops another file on it, and shows it again as soon as the server
redraws it for a newer upload (its file id, hence its class, changes)."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

_GUARD = """<style>.stElementContainer:has(script[data-upload-guard]) { display: none; }</style>
<script data-upload-guard>
(() => {
  if (window.__ganscopeUploadGuard) { return; }
  window.__ganscopeUploadGuard = true;
  const keyOf = (el) => {
    const box = el && el.closest ? el.closest('[data-testid="stFileUploader"]') : null;
    const holder = box ? box.closest('[class*="st-key-"]') : null;
    const cls = holder ? [...holder.classList].find((c) => c.startsWith('st-key-')) : null;
    return cls ? cls.slice(7) : null;
  };
  const hide = (event) => {
    const key = keyOf(event.target);
    if (!key) { return; }
    document.querySelectorAll(`[class*="st-key-${key}-outcome-"]`).forEach((el) => {
      el.dataset.staleClass = el.className;
      el.style.display = 'none';
    });
  };
  document.addEventListener('change', (e) => { if (e.target.type === 'file') { hide(e); } }, true);
  document.addEventListener('drop', hide, true);
  new MutationObserver(() => {
    document.querySelectorAll('[data-stale-class]').forEach((el) => {
      if (el.className !== el.dataset.staleClass) { el.style.display = ''; delete el.dataset.staleClass; }
    });
  }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['class'] });
})();
</script>"""


def guard(where: DeltaGenerator | None = None) -> None:
    """Install the script that hides an uploader's outcome when another file is picked (drawn with each
    uploader; the script keeps one listener per browser tab, and its own element takes no room)."""
    (where or st).html(_GUARD, unsafe_allow_javascript=True)


def outcome(uploader_key: str, file_id: str, where: DeltaGenerator | None = None) -> DeltaGenerator:
    """The container to draw the outcome of upload ``file_id`` of ``uploader_key`` in (in ``where``, the page
    by default): hidden in the browser as soon as another file is picked on that uploader."""
    return (where or st).container(key=f"{uploader_key}-outcome-{file_id}")
