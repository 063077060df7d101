"""The library's exceptions and the collector that gathers every problem before raising one."""

from __future__ import annotations

from typing import Iterable

__all__ = ["PluginWarning", "PolicyError", "Problems", "RuleErrorWarning", "ValidationError"]


class _ProblemError(ValueError):
    """Base: an error carrying every problem found, each as ``(location, message)``."""

    what = "problem"

    def __init__(self, problems: Iterable[tuple[str, str]], *, source: str | None = None):
        self.problems: list[tuple[str, str]] = [(str(loc), str(msg)) for loc, msg in problems]
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.problems)
        head = f"{n} {self.what}{'s' if n != 1 else ''}"
        if self.source:
            head += f" in {self.source}"
        shown = self.problems[:50]
        lines = [f"  - {loc}: {msg}" if loc else f"  - {msg}" for loc, msg in shown]
        if n > len(shown):
            lines.append(f"  … and {n - len(shown)} more (see .problems)")
        return head + ":\n" + "\n".join(lines)

    def __reduce__(self):  # keep pickling (multiprocessing, pytest-xdist) working
        return (type(self), (self.problems,), {"source": self.source})


class ValidationError(_ProblemError):
    """Bad input data: every problem found, with where it is and what was expected.

    ``.problems`` is a list of ``(location, message)`` pairs; ``.source`` names the file or
    object read, when there is one.
    """

    what = "validation problem"


class PolicyError(_ProblemError):
    """A policy or plug-in that does not conform: every problem found, with where it is."""

    what = "policy problem"


class Problems:
    """Collects ``(location, message)`` pairs; raises them all at once at the end.

    Location parts are joined so that messages read ``file: communities[3] (431302001001).households``.
    """

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, location: str, message: str) -> None:
        self.items.append((location, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_any(self, source: str | None = None, error: type[_ProblemError] = ValidationError) -> None:
        if self.items:
            raise error(self.items, source=source)


class RuleErrorWarning(UserWarning):
    """A rule's function raised during evaluation: its verdicts are ERROR, the others still ran."""


class PluginWarning(UserWarning):
    """A policy plug-in could not be loaded, or was a duplicate, and was skipped."""
