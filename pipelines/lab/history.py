"""The Lab's bounded history: G and D (and their optimisers' moments) every K iterations.

At most ``MAX_ENTRIES`` entries are kept. When the ring is full, every other entry is dropped and K
doubles, so the history always spans the whole run, more coarsely as it grows (the first and the
newest entries stay). With the ring preset's networks (ReLU MLPs 128-128, Adam) one entry is about
0.4 MB (``entry_bytes``), so the full history is about 50 MB.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

MAX_ENTRIES = 128
FIRST_EVERY = 10  # K at the start: an entry every 10 iterations


@dataclass(frozen=True)
class HistoryEntry:
    """One kept moment: the iteration and copies of the state dicts."""

    step: int
    g: dict[str, torch.Tensor]
    d: dict[str, torch.Tensor]
    opt_g: dict = field(default_factory=dict)
    opt_d: dict = field(default_factory=dict)


def _tensor_bytes(obj) -> int:
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, dict):
        return sum(_tensor_bytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_tensor_bytes(v) for v in obj)
    return 0


def entry_bytes(e: HistoryEntry) -> int:
    """Bytes held by an entry's tensors."""
    return sum(_tensor_bytes(x) for x in (e.g, e.d, e.opt_g, e.opt_d))


class History:
    """Entries in step order; ``every`` is the current K."""

    def __init__(self, max_entries: int = MAX_ENTRIES, every: int = FIRST_EVERY):
        self.max_entries = max_entries
        self.every = every
        self.entries: list[HistoryEntry] = []

    def keep(self, entry: HistoryEntry) -> None:
        if self.entries and self.entries[-1].step == entry.step:
            self.entries[-1] = entry  # a manual step at a kept iteration: the newest state wins
            return
        self.entries.append(entry)
        if len(self.entries) > self.max_entries:
            newest = self.entries[-1]
            self.entries = self.entries[:-1:2] + [newest]  # the first stays, every other one goes
            self.every *= 2

    def steps(self) -> list[int]:
        return [e.step for e in self.entries]

    def at(self, step: int) -> HistoryEntry:
        """The newest entry at or before ``step`` (the first entry for earlier steps)."""
        best = self.entries[0]
        for e in self.entries:
            if e.step <= step:
                best = e
        return best

    def until(self, step: int) -> History:
        """A copy holding the entries up to ``step`` (entries are immutable and shared)."""
        h = History(self.max_entries, self.every)
        h.entries = [e for e in self.entries if e.step <= step]
        return h

    def nbytes(self) -> int:
        return sum(entry_bytes(e) for e in self.entries)
