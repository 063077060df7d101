"""The checks every policy plug-in needs beyond conformance, and the one line that runs them all.

A plug-in's test suite is its case files plus::

    from shequ_gov.testing import plugin_tests
    from shequ_gov_loudi import policy

    test_plugin = plugin_tests(policy)

which gives one pytest test per check: the conformance checks (:func:`all_checks`) and

- :func:`check_quotes` — every quoted sentence is verbatim in its source's text file;
- :func:`check_catalogue` — the README's rules table is what the policy's metadata generates (so
  the rule ids, titles and thresholds a reader sees are the policy's);
- :func:`check_entry_point` — the installed entry point ``shequ_gov.policies`` named after the
  policy id gives this policy, and the plug-in's ``pyproject.toml`` declares it;
- :func:`check_cases` — the plug-in's case files load, and every rule has at least one case.

The case files themselves (``tests/**/*.cases.yaml``) are collected by pytest, one test per case.

Where source texts are found
----------------------------

A source's ``file = "….txt"`` in ``policy.toml`` (or, with ``cited_in``, the file of the document
quoting it) is looked up, first match wins, in:

1. the ``sources/`` folder next to the plug-in's ``policy.toml`` (ship it as package data);
2. each directory of ``sources = [...]`` under ``[tool.shequ_gov]`` in the plug-in's
   ``pyproject.toml``, relative to that file (the first-party plug-ins name the project's shared
   folder ``../shared/seeds`` there);
3. each directory of the environment variable ``SHEQU_GOV_SOURCES`` (separated by ``os.pathsep``).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Callable, Mapping

from .._policy import Policy

__all__ = ["check_catalogue", "check_cases", "check_entry_point", "check_quotes", "plugin_root", "plugin_tests",
           "source_dirs"]

SOURCES_ENV = "SHEQU_GOV_SOURCES"


def _declares(pyproject: Path, policy_id: str) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    eps = data.get("project", {}).get("entry-points", {}).get("shequ_gov.policies", {})
    return data if policy_id in eps else None


def plugin_root(policy: Policy, start: str | Path | None = None) -> Path | None:
    """The folder of the plug-in distribution of *policy*: the nearest ``pyproject.toml`` above *start*
    (a test file) or above the policy's data file that declares the policy's entry point."""
    for origin in (start, policy.path):
        if not origin:
            continue
        for d in Path(origin).resolve().parents:
            if (d / "pyproject.toml").is_file() and _declares(d / "pyproject.toml", policy.id) is not None:
                return d
    return None


def source_dirs(policy: Policy, root: str | Path | None = None) -> list[Path]:
    """The directories where the source texts of *policy* are looked up, in order (see the module doc)."""
    dirs = []
    if policy.path:
        dirs.append(Path(policy.path).parent / "sources")
    root = Path(root) if root is not None else plugin_root(policy)
    if root is not None:
        data = _declares(root / "pyproject.toml", policy.id) or {}
        configured = data.get("tool", {}).get("shequ_gov", {}).get("sources", [])
        if isinstance(configured, str):
            configured = [configured]
        dirs += [(root / d).resolve() for d in configured]
    dirs += [Path(d) for d in os.environ.get(SOURCES_ENV, "").split(os.pathsep) if d]
    return dirs


def check_quotes(policy: Policy, root: str | Path | None = None) -> None:
    """Every quote of a rule or a parameter value is verbatim in its source's text file (pinyin glosses
    and white space aside); each text file is found by the rule of :func:`source_dirs`."""
    from ._citations import unverified_quotes

    problems = unverified_quotes(policy, source_dirs(policy, root))
    assert not problems, "quotes not found in the source texts:\n  " + "\n  ".join(problems)


def check_catalogue(policy: Policy, root: str | Path | None = None) -> None:
    """The plug-in's README carries the rules table its metadata generates (ids, titles, thresholds)."""
    from ..catalogue import START, readme_is_current

    root = Path(root) if root is not None else plugin_root(policy)
    assert root is not None, f"no pyproject.toml declaring the entry point of {policy.id!r} above {policy.path}"
    readme = root / "README.md"
    assert readme.is_file(), f"{readme} is missing: the plug-in's README carries its rules table"
    assert START in readme.read_text(encoding="utf-8"), \
        f"{readme} has no rules table: add a line {START} and run `shequ-gov catalogue readme {readme}`"
    assert readme_is_current(readme, policy), \
        f"{readme}'s rules table is out of date: run `shequ-gov catalogue readme {readme}`"


def check_entry_point(policy: Policy, root: str | Path | None = None) -> None:
    """The installed entry point ``shequ_gov.policies`` named after the policy id gives this policy, and
    the plug-in's pyproject.toml declares it."""
    from importlib.metadata import entry_points

    from ..policies import GROUP, _load_entry

    root = Path(root) if root is not None else plugin_root(policy)
    if root is not None:
        assert _declares(root / "pyproject.toml", policy.id) is not None, \
            f"{root / 'pyproject.toml'} declares no entry point {policy.id!r} in [project.entry-points.\"{GROUP}\"]"
    eps = [ep for ep in entry_points(group=GROUP) if ep.name == policy.id]
    assert eps, (f"no installed entry point {policy.id!r} in the group {GROUP!r}: install the plug-in "
                 f"(pip install -e {root or '<its folder>'})")
    assert len(eps) == 1, f"{len(eps)} installed distributions provide {policy.id!r}: " + \
        ", ".join(f"{ep.value} ({ep.dist.name if ep.dist else '?'})" for ep in eps)
    loaded = _load_entry(eps[0])
    assert loaded.id == policy.id and [r.id for r in loaded.rules] == [r.id for r in policy.rules], \
        f"the entry point {eps[0].value} gives policy {loaded.id!r} with other rules than this one"


def check_cases(policy: Policy, root: str | Path | None = None) -> None:
    """The plug-in's case files (``tests/**/*.cases.yaml``) load, and each rule has a case expecting a
    status or a value of it."""
    from .._errors import ValidationError
    from ._cases import load_cases

    root = Path(root) if root is not None else plugin_root(policy)
    assert root is not None, f"no pyproject.toml declaring the entry point of {policy.id!r} above {policy.path}"
    files = sorted((root / "tests").rglob("*.cases.yaml")) if (root / "tests").is_dir() else []
    assert files, f"no case file under {root / 'tests'}: write tests/cases/<topic>.cases.yaml"
    problems, covered = [], set()
    for f in files:
        try:
            cases = load_cases(f)
        except ValidationError as exc:
            problems.append(str(exc))
            continue
        for case in cases:
            if policy.id in case.policies:
                covered |= set(case.expect) | set(case.measured)
    missing = [r.id for r in policy.rules if r.id not in covered]
    if missing:
        problems.append("rules without a case: " + ", ".join(missing))
    assert not problems, "\n  ".join(problems)


def edited_policy(policy: Policy, old: str, new: str, directory: str | Path) -> Policy:
    """*policy* loaded again from a copy of its data file in which the text *old* (found exactly once)
    is written *new*, with the same rule functions — to test that a value is read from ``policy.toml``.

    >>> changed = edited_policy(policy, "value = 18\\n", "value = 12\\n", tmp_path)  # doctest: +SKIP
    """
    assert policy.path is not None, f"policy {policy.id!r} was not loaded from a data file"
    text = Path(policy.path).read_text(encoding="utf-8")
    n = text.count(old)
    assert n == 1, f"{old!r} occurs {n} times in {policy.path}, expected exactly once: quote more of its line"
    path = Path(directory) / Path(policy.path).name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return Policy.from_toml(path, [r.function for r in policy.rules if r.function is not None],
                            version=policy.version, distribution=policy.distribution)


PLUGIN_CHECKS: tuple[Callable[..., None], ...] = (check_quotes, check_catalogue, check_entry_point, check_cases)


def plugin_tests(policy: Policy, *, expected_failures: Mapping[str, str] | None = None) -> Callable[..., None]:
    """A pytest test function running every check on the plug-in of *policy*, one test per check.

    Assign it to a ``test_`` name in the plug-in's tests (``test_plugin = plugin_tests(policy)``).
    Files (README, pyproject, case files) are found from the test file's folder upwards;
    *expected_failures* maps a check's name to the reason it is known to fail (as in
    :func:`check_policy`).
    """
    import pytest

    from ._checks import all_checks

    if not isinstance(policy, Policy):
        raise TypeError(f"expected a shequ_gov.Policy, got {type(policy).__name__}")
    expected = dict(expected_failures or {})
    checks = list(all_checks(policy)) + list(PLUGIN_CHECKS)
    unknown = sorted(set(expected) - {c.__name__ for c in checks})
    if unknown:
        raise ValueError(f"expected_failures names no check: {', '.join(unknown)}")
    params = [pytest.param(c, id=c.__name__, marks=[pytest.mark.xfail(reason=expected[c.__name__], strict=True)]
                           if c.__name__ in expected else []) for c in checks]

    @pytest.mark.parametrize("check", params)
    def test_plugin(check: Callable[..., None], request: Any) -> None:
        if check in PLUGIN_CHECKS:
            root = plugin_root(policy, request.path)
            check(policy, root)
        else:
            check(policy)

    test_plugin.__doc__ = f"The {policy.id} plug-in passes every check of shequ_gov.testing (one test per check)."
    return test_plugin
