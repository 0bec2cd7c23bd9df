"""Play/Pause for the Lab: a per-lab background thread that trains while the page polls and redraws.

Chosen over training inside the page's timed fragment: the thread keeps training while the browser
draws, so the rate does not fall to "iterations per tick" (measured in benchmarks/lab_speed.py). The
thread stops by itself when nobody has polled for ``IDLE_STOP_S`` (the visitor closed the tab).

Served to a class, two caps bound the compute: ``max_rate`` iterations per second per lab, and at
most ``SLOTS.limit`` labs training at once in the process (``TrainingSlots``, a counter with a lock);
Play on a full server answers a sentence instead of starting.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from .engine import Batches, LabSession, one_thread

IDLE_STOP_S = 10.0  # stop training when the page has not polled for this long
CHUNK = 8  # iterations per lock hold: a redraw waits at most one of them (the trainer lets a waiting reader in)
T = TypeVar("T")


class TrainingSlots:
    """How many labs may train at once in this process (a counter with a lock)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._lock = threading.Lock()
        self._held: set[int] = set()

    def acquire(self, owner: int) -> bool:
        with self._lock:
            if owner in self._held:
                return True
            if len(self._held) >= self.limit:
                return False
            self._held.add(owner)
            return True

    def release(self, owner: int) -> None:
        with self._lock:
            self._held.discard(owner)

    def in_use(self) -> int:
        with self._lock:
            return len(self._held)


SLOTS = TrainingSlots(int(os.environ.get("GANSCOPE_LAB_MAX_TRAINING", "4")))
PLANES_PER_S = 5.0  # plane redraws a second the process makes for playing labs, shared among them


def draw_interval() -> float:
    """Seconds between one playing lab's redraws: 0.2 (5 a second) while it plays alone; with more labs playing,
    ``PLANES_PER_S`` shared (four: 1.25 a second each). A redraw holds the GIL ~11 ms and every one the server
    makes is time its trainers lose: four labs redrawing as fast as their pages asked (2-2.5 a second each) trained
    at 68-80 it/s each, against 86-145 with this budget (benchmarks/results/lab-ab, alternated in one hour)."""
    return max(1, SLOTS.in_use()) / PLANES_PER_S


FULL = "All {limit} lab places are training right now; press Play again in a minute (Step D / Step G still work)."


class LabRunner:
    """The sessions of one lab (the run, and its fork when there is one) and the thread that trains them."""

    def __init__(self, session: LabSession, max_rate: float | None = None):
        self.sessions = [session]
        self.max_rate = max_rate  # iterations per second per lab (None: as fast as it goes)
        self.lock = threading.RLock()
        self.playing = False
        self.error: str | None = None
        self._thread: threading.Thread | None = None
        self._last_poll = time.monotonic()
        self._rate_marks: deque[tuple[float, int]] = deque(maxlen=64)
        self._readers_lock = threading.Lock()
        self._readers = 0  # redraws waiting for the lock: the trainer hands it over after its current iteration
        self._last_draw = 0.0

    @property
    def main(self) -> LabSession:
        return self.sessions[0]

    # Steps (all sessions on the same batches).
    def _iterate(self, d_steps: int | None = None, g_steps: int | None = None, manual: bool = False) -> None:
        nd = max(s.settings.d_steps for s in self.sessions) if d_steps is None else d_steps
        ng = max(s.settings.g_steps for s in self.sessions) if g_steps is None else g_steps
        batches: Batches = self.main.draw(nd, ng, max(s.settings.batch for s in self.sessions))
        for s in self.sessions:
            s.iterate(batches, d_steps, g_steps, manual)

    def step(self, kind: str) -> None:
        """One manual step: "d" (D alone), "g" (G alone) or "both" (one iteration)."""
        with self.lock:
            one_thread()
            self._iterate(*{"d": (1, 0), "g": (0, 1), "both": (None, None)}[kind], manual=True)

    # Play.
    def play(self) -> str | None:
        """Start training in the background; a sentence (and nothing started) when the server is full."""
        self.poll()
        if self.playing:
            return None
        if not SLOTS.acquire(id(self)):
            return FULL.format(limit=SLOTS.limit)
        self.playing, self.error = True, None
        self._thread = threading.Thread(target=self._loop, name="lab-trainer", daemon=True)
        self._thread.start()
        return None

    def pause(self) -> None:
        self.playing = False
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        SLOTS.release(id(self))
        with self.lock:  # where it stopped is a moment of the history (to scrub from, fork from, save)
            for s in self.sessions:
                s.flush()
                if s.history.entries[-1].step != s.iteration:
                    s.history.keep(s.entry())

    def poll(self) -> None:
        """The page is still watching (called on every redraw)."""
        self._last_poll = time.monotonic()

    def _loop(self) -> None:
        one_thread()
        try:
            while self.playing and time.monotonic() - self._last_poll < IDLE_STOP_S:
                t0 = time.monotonic()
                with self.lock:
                    for _ in range(CHUNK):
                        self._iterate()
                        if self._readers:
                            break
                    self._rate_marks.append((time.monotonic(), self.main.iteration))
                if self.max_rate:
                    time.sleep(max(0.0, CHUNK / self.max_rate - (time.monotonic() - t0)))
                else:
                    time.sleep(0.002 if self._readers else 0.0005)  # let a redraw take the lock
        except Exception as e:  # noqa: BLE001 - shown on the page, not lost in a thread
            self.error = f"Training stopped: {e}"
        finally:
            self.playing = False
            SLOTS.release(id(self))

    def pace_draw(self) -> None:
        """Before a redraw while playing: wait (without the GIL) until ``draw_interval()`` has passed since the last
        one, so the labs playing share the server's redraws instead of each taking as many as its page asks."""
        if self.playing:
            time.sleep(max(0.0, self._last_draw + draw_interval() - time.monotonic()))
        self._last_draw = time.monotonic()

    def rate(self) -> float:
        """Iterations per second over the last second or so of training (0 when paused)."""
        marks = [m for m in self._rate_marks if m[0] > time.monotonic() - 1.5]
        if not self.playing or len(marks) < 2:
            return 0.0
        (t0, i0), (t1, i1) = marks[0], marks[-1]
        return (i1 - i0) / max(t1 - t0, 1e-6)

    def read(self, fn: Callable[[LabRunner], T]) -> T:
        """Run ``fn`` with training held (for a consistent redraw); the trainer yields within one iteration."""
        with self.reading():
            one_thread()
            return fn(self)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the training lock, asking the trainer to hand it over after its current iteration."""
        with self._readers_lock:
            self._readers += 1
        try:
            with self.lock:
                yield
        finally:
            with self._readers_lock:
                self._readers -= 1

    # Forks.
    def fork(self, step: int, settings) -> None:
        """Train a fork of the main session from history ``step`` beside it (replacing any fork)."""
        with self.lock:
            entry = self.main.history.at(step)
            self.sessions = [self.main, self.main.fork(entry, settings)]

    def unfork(self) -> None:
        with self.lock:
            self.sessions = [self.main]
