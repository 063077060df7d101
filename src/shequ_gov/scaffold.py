"""A new policy plug-in, ready to install and test: ``shequ-gov new-policy NAME --jurisdiction CODE``.

:func:`new_policy` writes a complete plug-in distribution — ``pyproject.toml`` with the entry
point, ``policy.toml`` with one example parameter and rule citing the source, a topic module with
the rule's formula, the source text under ``sources/``, a case file, the one-line test and a
README carrying the generated rules table — that installs and passes its own tests as written.
The policy author then replaces the example with the source's rules (see the guide "Writing a
policy plug-in for a new region").
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from pathlib import Path

from ._codes import code_level, normalize_code
from ._errors import ValidationError
from ._vocab import Level

__all__ = ["new_policy"]

#: The start date of the example rule (before the conformance kit's evaluation date, 2024-06-30).
EXAMPLE_START = dt.date(2024, 1, 1)
_EXAMPLE_TEXT = ("每个社区至少配备5名专职工作人员。\n\n"
                 "(An example source text written by `shequ-gov new-policy`: replace this file with the text "
                 "of the document your policy encodes, and the example rule with its rules.)\n")
_EXAMPLE_QUOTE = "每个社区至少配备5名专职工作人员"
_SENTENCE = re.compile(r"[^。！？；\n]+")


def _first_sentence(text: str) -> str | None:
    """The sentence the example rule cites: the first with a number in it (standards have numbers),
    else the first after the title line, else the title."""
    found = [m.group(0).strip() for m in _SENTENCE.finditer(text)]
    found = [s for s in found if len(s) >= 6 and '"' not in s and "\\" not in s]
    with_number = [s for s in found if re.search(r"[0-9０-９]", s)]
    return (with_number or found[1:] or found or [None])[0]


def new_policy(name: str, *, jurisdiction: str, directory: str | os.PathLike[str],
               source: str | os.PathLike[str] | None = None) -> Path:
    """Write a new plug-in distribution for policy *name* into *directory* and return its path.

    *name* is the policy id (a lower-case identifier: ``"changsha"``); *jurisdiction* a division
    code (``"4301"``); *source* a UTF-8 text file of the source document, copied to the package's
    ``sources/`` folder, whose first sentence the example rule cites (without one, an example text
    is written). *directory* must not exist or be empty. Raises :class:`~shequ_gov.ValidationError`
    naming every problem; nothing is written then.
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
        problems.append(("NAME", f"expected a lower-case identifier such as 'changsha' (the policy id), got {name!r}"))
    code = ""
    try:
        code = normalize_code(jurisdiction)
        if code_level(code) is Level.COMMUNITY:
            problems.append(("--jurisdiction", f"expected a region (province to street), got the community {code}"))
    except (ValueError, TypeError) as exc:
        problems.append(("--jurisdiction", str(exc)))
    out = Path(directory)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        problems.append(("-o", f"{out} exists and is not an empty directory"))
    text, quote, src_name = _EXAMPLE_TEXT, _EXAMPLE_QUOTE, f"{name}.txt"
    if source is not None:
        sp = Path(source)
        try:
            text = sp.read_text(encoding="utf-8")
            src_name = sp.name
            found = _first_sentence(text)
            if found is None:
                problems.append(("--source", f"{sp} has no sentence of six characters or more to cite"))
            else:
                quote = found
            if sp.suffix != ".txt":
                problems.append(("--source", f"expected a .txt file, got {sp.name}"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(("--source", f"cannot read {sp} as UTF-8 text: {exc}"))
    if problems:
        raise ValidationError(problems, source="new-policy")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        _write(tmp, name, code, text, quote, src_name)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write(root: Path, name: str, code: str, text: str, quote: str, src_name: str) -> None:
    pkg = f"shequ_gov_{name}"
    dist = f"shequ-gov-{name.replace('_', '-')}"
    short = code[:code_level(code).digits]
    title = next((ln.strip() for ln in text.splitlines() if ln.strip()), src_name)[:60]
    files = {
        "pyproject.toml": f'''[build-system]
requires = ["setuptools>=70.1"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "The {name} community-governance standards as a shequ_gov policy plug-in."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["shequ-gov"]

[project.optional-dependencies]
test = ["shequ-gov[test]"]

[project.entry-points."shequ_gov.policies"]
{name} = "{pkg}:policy"

[tool.setuptools.packages.find]
where = ["src"]

[tool.setuptools.package-data]
{pkg} = ["policy.toml", "sources/*.txt"]

[tool.pytest.ini_options]
testpaths = ["tests"]
''',
        f"src/{pkg}/__init__.py": f'''"""The {name} community-governance standards as a shequ_gov policy.

The parameters, citations and rule metadata live in ``policy.toml``; the vectorised formulas in the
topic modules (one per rule-id topic); the source texts in ``sources/``. Use it with
``shequ_gov.evaluate(dataset, "{name}")``.
"""

from importlib.resources import files

from shequ_gov import Policy

from . import staffing

policy = Policy.from_toml(files(__name__) / "policy.toml", [staffing])

__all__ = ["policy"]
''',
        f"src/{pkg}/policy.toml": f'''# The {name} policy: its sources, dated parameters and rules (see the guide "Writing a policy
# plug-in for a new region"). Every threshold is a parameter with the sentence of the source
# that gives it; every rule cites the sentence it implements, verbatim (the tests check both).

[policy]
id = "{name}"
name = {{ zh = "{name} 社区治理标准", en = "{name} community governance standards" }}
jurisdiction = ["{short}"]

[sources.{name}_source]
title = {_toml_str(title)}
file = {_toml_str(src_name)}  # found in the package's sources/ folder

[parameters.staff_min]
description = {{ zh = "社区工作人员最低人数", en = "minimum number of community staff" }}
unit = "worker"

[[parameters.staff_min.values]]
from = {EXAMPLE_START}
value = "5 worker"
source = "{name}_source"
quote = {_toml_str(quote)}

[rules."{name}.staffing.minimum"]
title = {{ zh = "社区工作人员配备", en = "community staff minimum" }}
level = "community"
kind = "requirement"
strength = "standard"
from = {EXAMPLE_START}
parameters = ["staff_min"]
description = {{ zh = "工作人员人数不少于 staff_min", en = "the staff count is at least staff_min" }}
citation = {{ source = "{name}_source", quote = {_toml_str(quote)} }}
''',
        f"src/{pkg}/staffing.py": f'''"""Staffing rules of the {name} policy."""

from __future__ import annotations

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, at_least


@formula("{name}.staffing.minimum", increasing=["staff.count"])
def minimum(c: CommunityInputs, p: Parameters) -> Outcome:
    """{quote}: a community has at least staff_min staff members."""
    staff = c.staff_count()
    return at_least(staff, p.staff_min, unit="worker", inputs={{"staff / 工作人员数": (staff, "worker")}})
''',
        f"src/{pkg}/sources/{src_name}": text,
        f"tests/test_{name}.py": f'''"""The {name} plug-in passes every check of shequ_gov.testing; its cases are in cases/*.cases.yaml."""

from shequ_gov.testing import plugin_tests
from {pkg} import policy

test_plugin = plugin_tests(policy)
''',
        "tests/cases/staffing.cases.yaml": f'''# Cases of the staffing rules: a community (fields as in the interchange format), a date, and
# the status expected of each rule. pytest runs each case as a test.
policy: {name}
defaults: {{as_of: 2024-06-30}}
cases:
  - name: a community with five staff meets the minimum of five
    community: {{staff: [{{roles: [director]}}, {{roles: [worker]}}, {{roles: [worker]}}, {{roles: [worker]}}, {{roles: [worker]}}]}}
    expect: {{{name}.staffing.minimum: pass}}
    measured: {{{name}.staffing.minimum: 5}}
  - name: a community with four staff falls short
    community: {{staff: [{{roles: [director]}}, {{roles: [worker]}}, {{roles: [worker]}}, {{roles: [worker]}}]}}
    expect: {{{name}.staffing.minimum: fail}}
  - name: a community whose staff list is missing is unknown, never a pass
    community: {{households: 800}}
    expect: {{{name}.staffing.minimum: unknown}}
  - name: before the rule's start date it does not apply
    as_of: 2023-12-31
    community: {{staff: []}}
    expect: {{{name}.staffing.minimum: not_applicable}}
''',
        "README.md": f'''# {dist} — {name} 社区治理标准

The community-governance standards of **{name} (division code {short})** as a
[`shequ_gov`](https://example.invalid/shequ-gov) policy plug-in (policy id `{name}`).

## Source

- {title} — `src/{pkg}/sources/{src_name}`.

## Install and test

```sh
pip install -e ".[test]"     # registers the policy under the entry-point group shequ_gov.policies
pytest                       # the kit's checks (tests/test_{name}.py) and the case files (tests/cases/)
```

```python
import shequ_gov as sg

report = sg.evaluate(sg.Dataset.read("communities.json"), "{name}", as_of="2024-06-30")
```

## Rules

After changing `policy.toml`, regenerate this table with `shequ-gov catalogue readme README.md --policy {name}`.

<!-- rules-table -->
<!-- /rules-table -->
''',
    }
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    _fill_readme(root, name, pkg)


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fill_readme(root: Path, name: str, pkg: str) -> None:
    """Load the written policy by path (checking it) and put its rules table into the README."""
    import importlib.util
    import sys

    from . import catalogue
    from ._policy import Policy

    module_name = f"_shequ_gov_scaffold_{pkg}_staffing"
    spec = importlib.util.spec_from_file_location(module_name, root / "src" / pkg / "staffing.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # for inspect.getsource while the policy loads
    try:
        spec.loader.exec_module(module)
        policy = Policy.from_toml(root / "src" / pkg / "policy.toml", [module])
    finally:
        sys.modules.pop(module_name, None)
    catalogue.update_readme(root / "README.md", policy)
