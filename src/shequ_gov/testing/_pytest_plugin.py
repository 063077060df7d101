"""pytest plug-in (entry point ``pytest11``): collects ``*.cases.yaml`` files, one test per case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def pytest_collect_file(parent: Any, file_path: Path) -> Any:
    if file_path.name.endswith(".cases.yaml"):
        return CaseFile.from_parent(parent, path=file_path)
    return None


def _short(exc: BaseException) -> str | None:
    """The library's own message for a bad case file, policy or data (no traceback), else None."""
    from .._errors import PolicyError, ValidationError

    if isinstance(exc, (ValidationError, PolicyError)):
        return str(exc)
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):  # e.g. an unknown policy
        return exc.args[0]
    return None


class CaseFile(pytest.File):
    def collect(self) -> Any:
        from .._errors import ValidationError
        from ._cases import load_cases

        try:
            cases = load_cases(self.path)
        except ValidationError as exc:  # one short message naming every problem, not pytest's internals
            raise self.CollectError(str(exc)) from None
        for case in cases:
            yield CaseItem.from_parent(self, name=case.name, case=case)

    def repr_failure(self, excinfo: Any, style: Any = None) -> Any:
        msg = _short(excinfo.value)
        return f"case file {self.path}: {msg}" if msg is not None else super().repr_failure(excinfo)


class CaseFailure(AssertionError):
    pass


class CaseItem(pytest.Item):
    def __init__(self, *, case: Any, **kw: Any) -> None:
        super().__init__(**kw)
        self.case = case

    def runtest(self) -> None:
        from .._errors import PolicyError, ValidationError
        from ._cases import run_case

        try:
            problems = run_case(self.case)
        except (ValidationError, PolicyError) as exc:  # bad data in the case: its message, not a traceback
            raise CaseFailure("\n".join(f"{loc}: {msg}" if loc else msg for loc, msg in exc.problems)) from None
        except KeyError as exc:  # an unknown policy
            raise CaseFailure(str(exc.args[0] if exc.args else exc)) from None
        if problems:
            raise CaseFailure("\n".join(problems))

    def repr_failure(self, excinfo: Any, style: Any = None) -> Any:
        if isinstance(excinfo.value, CaseFailure):
            return f"case {self.case.name!r} ({self.case.path}, cases[{self.case.index}]):\n" + "\n".join(
                f"  - {line}" for line in str(excinfo.value).splitlines())
        msg = _short(excinfo.value)
        if msg is not None:
            return f"case {self.case.name!r} ({self.case.path}, cases[{self.case.index}]): {msg}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> Any:
        return self.path, None, f"case: {self.name}"
