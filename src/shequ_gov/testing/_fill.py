"""The "decided by every possible value" law: a known verdict survives any filling of the missing inputs.

A verdict given although an input is missing (PASS, FAIL, NOT_APPLICABLE, a measured indicator)
claims that every value the input could take gives it. :func:`check_known_verdicts_hold_for_every_missing_value`
tests the claim: it fills the missing inputs of a generated document with values they could take
(every key of a category, both truth values, numbers seen elsewhere in the data and 0, lists of
other communities, the empty list) and requires every known verdict to stay the same. UNKNOWN may
become anything.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any


from .._policy import Policy
from .._schema import COMMUNITY_COLUMNS, FACILITY_FIELDS, REGION_FIELDS, STAFF_FIELDS, TAG_LISTS, TASK_FIELDS
from .._vocab import Status

__all__ = ["check_known_verdicts_hold_for_every_missing_value", "check_unknown_only_where_a_missing_category_could_change_it",
           "fillings"]

_LISTS = ("facilities", "staff", "tasks") + tuple(TAG_LISTS)
_RECORD_FIELDS = {"facilities": FACILITY_FIELDS, "staff": STAFF_FIELDS, "tasks": TASK_FIELDS}
_ROUNDS = 8
#: The kinds of field a filling gives a value (codes, names and keys are never missing).
_FILLED_KINDS = ("count", "quantity", "share", "bool", "enum", "int")


def _get(node: dict, path: list[str]) -> Any:
    for k in path:
        if not isinstance(node, dict):
            return None
        node = node.get(k)
    return node


def _set(node: dict, path: list[str], value: Any) -> None:
    for k in path[:-1]:
        node = node.setdefault(k, {})
    node[path[-1]] = value


def _candidates(field: Any, seen: list[Any]) -> list[Any]:
    """Values *field* could take: every key, both truth values, or numbers spread over those seen (and 0)."""
    if field.kind == "enum":
        return list(field.vocab)
    if field.kind == "bool":
        return [True, False]
    nums = sorted({v for v in seen if isinstance(v, (int, float)) and not isinstance(v, bool)})
    if not nums:
        return [0]
    picks = {nums[0], nums[-1], nums[len(nums) // 2], nums[len(nums) // 4], nums[3 * len(nums) // 4]}
    if field.kind != "int" or field.low <= 0:
        picks.add(0 if field.kind in ("count", "int") else 0.0)
    return sorted(picks)


def fillings(doc: dict, rounds: int = _ROUNDS) -> list[dict]:
    """Copies of *doc* whose missing inputs are filled with values they could take, varied across copies.

    Each copy fills every missing community field, list, record field and region field; a slot's
    value cycles through its candidates with the copy, the community and the field, so that over
    the copies each slot takes several of its possible values in varied combinations.
    """
    comms = doc["communities"]
    columns = [(path, f) for path, f in COMMUNITY_COLUMNS if f.kind in _FILLED_KINDS]
    scalar = [(path.split("."), _candidates(f, [_get(c, path.split(".")) for c in comms])) for path, f in columns]
    donors = {k: [c[k] for c in comms if isinstance(c.get(k), list)] for k in _LISTS}
    record = {}
    for table, fields in _RECORD_FIELDS.items():
        for f in fields:
            if f.name == "kind" or f.kind not in _FILLED_KINDS:
                continue
            seen = [r.get(f.name) for c in comms for r in (c.get(table) or [])]
            record[(table, f.name)] = _candidates(f, seen)
    region = [(f.name, _candidates(f, [r.get(f.name) for r in doc["regions"]])) for f in REGION_FIELDS
              if f.kind in _FILLED_KINDS]
    out = []
    for j in range(rounds):
        filled = copy.deepcopy(doc)
        for i, c in enumerate(filled["communities"]):
            for n, (path, cands) in enumerate(scalar):
                if _get(c, path) is None:
                    _set(c, path, cands[(i * 7 + j + n) % len(cands)])
            for n, k in enumerate(_LISTS):
                if c.get(k) is None:
                    choices = [[]] + donors[k][:6]
                    c[k] = copy.deepcopy(choices[(i * 5 + j + n) % len(choices)])
            for (table, name), cands in record.items():
                for r_i, r in enumerate(c.get(table) or []):
                    if r.get(name) is None:
                        r[name] = cands[(i * 3 + r_i + j) % len(cands)]
            for r_i, m in enumerate(c.get("staff") or []):
                _scale_pair(doc["communities"][i]["staff"][r_i] if isinstance(doc["communities"][i].get("staff"), list)
                            else {}, m)
        for i, r in enumerate(filled["regions"]):
            for n, (name, cands) in enumerate(region):
                if r.get(name) is None:
                    r[name] = cands[(i + j + n) % len(cands)]
        out.append(filled)
    return out


def _scale_pair(original: dict, m: dict) -> None:
    """Keep a filled post and grade a possible pair: both 0 (off the scale) or both from 1."""
    if (m.get("post") == 0) == (m.get("grade") == 0):
        return
    filled = [k for k in ("post", "grade") if original.get(k) is None]
    other = {"post": "grade", "grade": "post"}
    for k in filled:
        m[k] = 0 if m[other[k]] == 0 else max(1, m[k])


_KNOWN = (Status.PASS, Status.FAIL, Status.NOT_APPLICABLE, Status.MEASURED)


def check_known_verdicts_hold_for_every_missing_value(policy: Policy, seed: int = 8, n: int = 160,
                                                      as_of: dt.date | None = None) -> None:
    """UNKNOWN only when the missing input could change the answer: a verdict known despite missing inputs
    stays the same whatever values those inputs turn out to have."""
    from ._checks import AS_OF, _S, _describe, _verdicts
    from ._sample import sample_document

    day = as_of or AS_OF
    doc = sample_document(policy.jurisdiction, n=n, seed=seed)
    base = _verdicts(policy, doc, as_of=day)
    known = {k: s for k, s in base.items() if _S[s] in _KNOWN}
    diffs = []
    for j, filled in enumerate(fillings(doc)):
        after = _verdicts(policy, filled, as_of=day)
        for k, s in known.items():
            if after.get(k, s) != s:
                diffs.append(f"{k[0]} on {k[1]:012d}: {_S[s].value} with inputs missing, "
                             f"{_S[after[k]].value} once they are filled (filling {j})")
    assert not diffs, ("a verdict given despite missing inputs changed once they were filled (it should have "
                       f"been UNKNOWN):\n  {_describe(diffs)}")



def _categorical_paths() -> list[tuple[list[str], list[Any]]]:
    return [(path.split("."), list(f.vocab) if f.kind == "enum" else [True, False])
            for path, f in COMMUNITY_COLUMNS if f.kind in ("enum", "bool")]


def _drop(node: dict, path: list[str]) -> bool:
    for k in path[:-1]:
        node = node.get(k)
        if not isinstance(node, dict):
            return False
    return node.pop(path[-1], None) is not None


def check_unknown_only_where_a_missing_category_could_change_it(policy: Policy, seed: int = 9, n: int = 120,
                                                                as_of: dt.date | None = None) -> None:
    """A community verdict is UNKNOWN for a missing category or flag (area type, new build…) only where two
    of its values give different verdicts: where every value gives the same one, that is the verdict."""
    from .._vocab import Level
    from ._checks import AS_OF, _S, _describe, _verdicts
    from ._sample import sample_document

    day = as_of or AS_OF
    doc = sample_document(policy.jurisdiction, n=n, seed=seed)
    community_rules = {r.id for r in policy.rules if r.level is Level.COMMUNITY}
    diffs = []
    for path, values in _categorical_paths():
        dropped = copy.deepcopy(doc)
        had = {c["code"] for c in dropped["communities"] if _drop(c, path)}
        if not had:
            continue
        base = _verdicts(policy, dropped, as_of=day)
        per_value = []
        for v in values:
            filled = copy.deepcopy(dropped)
            for c in filled["communities"]:
                if c["code"] in had:
                    _set(c, path, v)
            per_value.append(_verdicts(policy, filled, as_of=day))
        for (rid, code), s in base.items():
            if rid not in community_rules or _S[s] is not Status.UNKNOWN or f"{code:012d}" not in had:
                continue
            got = {pv[(rid, code)] for pv in per_value}
            if len(got) == 1 and _S[next(iter(got))] in _KNOWN:
                diffs.append(f"{rid} on {code:012d}: UNKNOWN without {'.'.join(path)}, but "
                             f"{_S[next(iter(got))].value} for every value of it ({', '.join(map(str, values))})")
    assert not diffs, ("UNKNOWN although every value of the missing input gives the same verdict:\n  "
                       + _describe(diffs))
