"""Every catalogued rule's case files meet each verdict it can give (STANDARDS.md, "Second reading")."""

from pathlib import Path

import pytest

import shequ_gov as sg
from shequ_gov.testing import load_cases

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
#: A requirement or target is seen passing, failing, not applicable and unknown; an indicator measured instead.
NEEDED = {"requirement": {"pass", "fail", "not_applicable", "unknown"},
          "target": {"pass", "fail", "not_applicable", "unknown"},
          "indicator": {"measured", "not_applicable", "unknown"}}


def _statuses(value):
    if isinstance(value, str):
        return {value}
    return {v for v in value.values() if isinstance(v, str)}


def _expected(policy_id):
    seen = {}
    for path in sorted((PLUGINS / policy_id / "tests" / "cases").glob("*.cases.yaml")):
        for case in load_cases(path):
            for rid, value in case.expect.items():
                seen.setdefault(rid, set()).update(_statuses(value))
    return seen


@pytest.mark.parametrize("name", [n for n in sg.policies.available() if (PLUGINS / n).is_dir()])
def test_case_files_meet_every_status_of_every_rule(name):
    """Each rule of a first-party plug-in has cases expecting each status of its kind."""
    pytest.importorskip("yaml")
    policy = sg.policies.load(name)
    seen = _expected(name)
    missing = {r.id: sorted(NEEDED[r.kind] - seen.get(r.id, set())) for r in policy.rules}
    assert {rid: m for rid, m in missing.items() if m} == {}


STANDARDS = Path(__file__).resolve().parents[1].parent / "shared" / "STANDARDS.md"


def test_every_catalogued_rule_is_installed():
    """Every rule id of STANDARDS.md's tables (the first catalogue and the second reading) is an installed rule."""
    import re

    if not STANDARDS.is_file():
        pytest.skip(f"{STANDARDS} is not beside the checkout")
    ids = set(re.findall(r"^\| `((?:liaoning|jiangsu|loudi|xigang|kaizhou)\.[a-z_.]+)` \|",
                         STANDARDS.read_text(encoding="utf-8"), re.M))
    installed = {r.id for n in sg.policies.available() for r in sg.policies.load(n).rules}
    assert len(ids) == 61 and sorted(ids - installed) == []
