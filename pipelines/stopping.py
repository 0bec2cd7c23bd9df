"""Stopping a run cleanly on SIGINT (Ctrl-C) or SIGTERM (``kill``, a scheduler's preemption notice).

The first signal asks the loop to stop after the current step; it then writes a snapshot and the
resume state and returns, and ``ganscope-train`` prints the command that continues the run. A second
SIGINT stops at once (a plain KeyboardInterrupt: the last state written is still there).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + signal number, as a shell reports them


class StopRequest:
    """Set by a signal handler, read by the training loop after each step."""

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def request(self, signum: int = signal.SIGTERM) -> None:
        """Ask the run to stop after its current step (what the handlers do; callers may too)."""
        if self.signum is None:
            self.signum = signum

    def agreed(self) -> bool:
        """Under torchrun: whether any rank was asked to stop (a collective: every rank calls it together)."""
        import torch
        import torch.distributed as dist

        flag = torch.tensor([1.0 if self.requested else 0.0])
        if dist.get_backend() == "nccl":
            flag = flag.cuda()
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        if flag.item() and self.signum is None:
            self.signum = signal.SIGTERM
        return bool(flag.item())

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS.get(self.signum, 0) if self.signum is not None else 0

    def _handle(self, signum: int, frame) -> None:  # noqa: ARG002 - the signal handler signature
        first = self.signum is None
        self.request(signum)
        if signum == signal.SIGINT:  # a second Ctrl-C interrupts at once
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if first:
            name = signal.Signals(signum).name
            msg = f"\n{name}: stopping after this step (a snapshot and the resume state are written)"
            print(msg, file=sys.stderr, flush=True)

    @contextmanager
    def installed(self) -> Iterator[StopRequest]:
        """Handle SIGINT and SIGTERM while the block runs (main thread only; elsewhere a no-op)."""
        try:
            old = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
        except ValueError:  # not the main thread: signals go to the main thread's handlers
            yield self
            return
        try:
            yield self
        finally:
            for s, h in old.items():
                signal.signal(s, h)
