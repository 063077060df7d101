"""Progress on a terminal: one line on standard error, redrawn at least every half second while a
step runs, so that no step of a long job is silent for more than a second. Nothing at all is
written when standard error is not a terminal (a pipe, a file, a test), or when disabled.

    with Progress() as prog:
        with prog.step("reading national.json.gz", total=620_572, unit="communities"):
            ... prog.update(n) ...
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator, TextIO


class Progress:
    """A progress line for named steps, each with an optional count towards a total."""

    def __init__(self, enabled: bool | None = None, stream: TextIO | None = None, interval: float = 0.5):
        self.stream = stream or sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) if enabled is None else enabled and bool(isatty and isatty())
        self.interval = interval
        self._label = ""
        self._done = 0
        self._total: int | None = None
        self._unit = ""
        self._t0 = time.perf_counter()
        self._step_t0 = self._t0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._width = 0
        self._active = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def update(self, done: int) -> None:
        """The count reached in the current step."""
        self._done = done

    @contextmanager
    def step(self, label: str, total: int | None = None, unit: str = "") -> Iterator["Progress"]:
        """A named step; the line shows it (and its count) until it ends, then its time."""
        self.advance(label, total, unit)
        try:
            yield self
        finally:
            self.finish()

    def advance(self, label: str, total: int | None = None, unit: str = "") -> None:
        """Start the step *label* (finishing the current one, if any)."""
        self.finish()
        with self._lock:
            self._label, self._done, self._total, self._unit = label, 0, total, unit
            self._step_t0 = time.perf_counter()
            self._active = True
        self._start()

    def finish(self) -> None:
        """End the current step: its line is left with its time."""
        with self._lock:
            if self._active and self.enabled:
                if self._total is not None:
                    self._done = self._total
                self._draw(final=True)
            self._active = False

    def _start(self) -> None:
        if not self.enabled or self._thread is not None:
            return

        def tick() -> None:
            while not self._stop.wait(self.interval):
                with self._lock:
                    if self._active:
                        self._draw()

        self._thread = threading.Thread(target=tick, name="shequ-gov-progress", daemon=True)
        self._thread.start()
        with self._lock:
            self._draw()

    def _draw(self, final: bool = False) -> None:
        now = time.perf_counter()
        text = f"{self._label}"
        if self._total:
            pct = 100.0 * min(self._done, self._total) / self._total
            text += f"  {self._done:,}/{self._total:,} {self._unit} ({pct:.0f}%)".rstrip()
        elif self._done:
            text += f"  {self._done:,} {self._unit}".rstrip()
        text += f"  {now - self._step_t0:.1f}s"
        pad = max(self._width - len(text), 0)
        self._width = len(text)
        try:
            self.stream.write("\r" + text + " " * pad + ("\n" if final else ""))
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal: progress is not worth an error
            self.enabled = False
        if final:
            self._width = 0

    def close(self) -> None:
        self.finish()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
            self._thread = None


#: A progress object that never writes (the default of functions taking one).
QUIET = Progress(enabled=False)
