"""Stopping pytest with SIGTERM must not leave servers and backends running.

pytest runs fixture finalizers when it is interrupted with Ctrl-C (KeyboardInterrupt), but SIGTERM ends the
interpreter without them, leaving every didmeta server and backend the fixtures started as an orphan. The
handler below turns the first SIGTERM into the same KeyboardInterrupt, so the session's teardown stops them; a
second SIGTERM ends the run at once.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


def _interrupt(signum: int, frame: FrameType | None) -> None:
    signal.signal(signum, signal.SIG_DFL)
    raise KeyboardInterrupt(f"signal {signum}")


def interrupt_on_sigterm() -> None:
    """In the main thread: SIGTERM behaves like Ctrl-C (fixture teardown runs)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
