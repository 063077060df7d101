"""Case files: test cases for a policy that read like sentences.

A case file (``*.cases.yaml``) names the policy, and lists cases: a community (or several), a date,
and the statuses expected per rule. pytest collects every case as its own test (through the
plug-in in ``shequ_gov.testing._pytest_plugin``), so every failure of a file is reported.

.. code-block:: yaml

    policy: loudi
    defaults: {as_of: 2024-01-01}
    cases:
      - name: a central urban community of 1,500 households with 7 staff fails loudi.staffing.ratio
        community: {area_type: central_urban, households: 1500, staff: [{roles: [worker]}, ...]}
        expect: {loudi.staffing.ratio: fail}

Keys of a case: ``name``, ``as_of``, ``mode``, ``policy``/``policies``, ``community`` or
``communities``, ``regions`` (fields of regions by code), ``expect`` (rule id → status, or →
{code: status}), ``measured`` (rule id → value, or → {code: value}) and ``parameters`` (parameter
name → value written as in the plug-in's data file: the case runs under that reform, see
:meth:`shequ_gov.Policy.with_parameters`).
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
from pathlib import Path
from typing import Any, Iterable, Mapping

import attrs

from .._codes import code_level, normalize_code
from .._errors import Problems, ValidationError
from .._vocab import Level, Status

__all__ = ["Case", "document", "load_cases", "run_case"]

FILE_KEYS = ("policy", "defaults", "cases")
CASE_KEYS = ("name", "as_of", "mode", "policy", "policies", "community", "communities", "regions", "expect",
             "measured", "parameters")
STATUS_KEYS = [s.value for s in Status]


@attrs.frozen
class Case:
    """One case of a case file."""

    name: str
    policies: tuple[str, ...]
    as_of: dt.date
    mode: str
    communities: tuple[Mapping[str, Any], ...]
    regions: Mapping[str, Mapping[str, Any]]
    expect: Mapping[str, Any]
    measured: Mapping[str, Any]
    path: str
    index: int
    parameters: Mapping[str, Any] = attrs.field(factory=dict)


def _unknown(key: str, allowed: tuple[str, ...]) -> str:
    hint = difflib.get_close_matches(key, allowed, n=1)
    return f"unknown key {key!r}" + (f"; did you mean {hint[0]!r}?" if hint else "") + \
        f" (expected one of: {', '.join(allowed)})"


class _Mapping(dict):
    """A YAML mapping that remembers the keys given more than once (YAML keeps the last silently)."""

    duplicates: tuple[Any, ...] = ()


def _loader() -> Any:
    """A safe YAML loader whose impossible dates stay text (so the case check names them) and
    whose mappings remember repeated keys."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_yaml_timestamp(self, node: Any) -> Any:  # 2024-02-30: no crash, a text to report
            try:
                return super().construct_yaml_timestamp(node)
            except ValueError:
                return self.construct_scalar(node)

        def construct_yaml_map(self, node: Any) -> Any:
            data = _Mapping()
            yield data
            self.flatten_mapping(node)
            seen: set[Any] = set()
            dups = []
            for key_node, value_node in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    if key in seen:
                        dups.append(key)
                    seen.add(key)
                except TypeError:
                    raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a plain value",
                                                            key_node.start_mark) from None
                data[key] = self.construct_object(value_node, deep=True)
            data.duplicates = tuple(dups)

    Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_timestamp)
    Loader.add_constructor("tag:yaml.org,2002:map", Loader.construct_yaml_map)
    return Loader


def _report_duplicates(prob: Problems, where: str, v: Any, depth: int = 0) -> None:
    """A problem for every key given twice in *v* or below it."""
    if isinstance(v, _Mapping):
        for k in v.duplicates:
            prob.add(f"{where}.{k}" if where else str(k), f"key {k!r} is given more than once")
    if depth > 20:
        return
    if isinstance(v, Mapping):
        for k, x in v.items():
            _report_duplicates(prob, f"{where}.{k}", x, depth + 1)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            _report_duplicates(prob, f"{where}[{i}]", x, depth + 1)


def _code_problem(code: Any) -> str | None:
    try:
        normalize_code(code)
    except ValueError as exc:
        return str(exc)
    return None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def load_cases(path: str | Path) -> list[Case]:
    """Read and check a case file; raise one ValidationError naming every problem (file, case, key)."""
    import yaml

    p = Path(path)
    prob = Problems()
    try:
        data = yaml.load(p.read_text(encoding="utf-8"), Loader=_loader())  # noqa: S506 (a safe loader)
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        raise ValidationError([(str(p), f"cannot read the case file: {' '.join(str(exc).split())}")],
                              source=str(p)) from None
    except RecursionError:
        raise ValidationError([(str(p), "cannot read the case file: nested too deeply")], source=str(p)) from None
    if not isinstance(data, Mapping):
        raise ValidationError([(str(p), "expected a mapping with keys policy, defaults, cases")], source=str(p))
    for k in getattr(data, "duplicates", ()):
        prob.add(f"{p}: {k}", f"key {k!r} is given more than once")
    for k, v in data.items():
        if k != "cases":
            _report_duplicates(prob, f"{p}: {k}", v)
    for k in data:
        if k not in FILE_KEYS:
            prob.add(f"{p}: {k}", _unknown(str(k), FILE_KEYS))
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        prob.add(f"{p}: defaults", "expected a mapping of case keys")
        defaults = {}
    for k in defaults:
        if k not in CASE_KEYS or k == "name":
            prob.add(f"{p}: defaults.{k}", _unknown(str(k), tuple(x for x in CASE_KEYS if x != "name")))
    raw_cases = data.get("cases")
    if not isinstance(raw_cases, list) or not raw_cases:
        prob.add(f"{p}: cases", "expected a non-empty list of cases")
        raw_cases = []
    out = []
    for i, raw in enumerate(raw_cases):
        where = f"{p}: cases[{i}]"
        if not isinstance(raw, Mapping):
            prob.add(where, "expected a mapping")
            continue
        name = raw.get("name")
        if isinstance(name, str) and name:
            where += f" ({name})"
        else:
            prob.add(f"{where}.name", "every case needs a name that says what it shows")
        _report_duplicates(prob, where, raw)
        for k in raw:
            if k not in CASE_KEYS:
                prob.add(f"{where}.{k}", _unknown(str(k), CASE_KEYS))
        case = dict(defaults)
        for k, v in raw.items():
            if k == "community" and isinstance(defaults.get("community"), Mapping) and isinstance(v, Mapping):
                case[k] = {**defaults["community"], **v}
            else:
                case[k] = v
        if "communities" in raw and "community" in case and "community" not in raw:
            base = case.pop("community")
            case["communities"] = [{**base, **c} if isinstance(c, Mapping) else c for c in raw["communities"]]
        pols = case.get("policies", case.get("policy", data.get("policy")))
        if isinstance(pols, str):
            pols = [pols]
        if not isinstance(pols, list) or not pols or not all(isinstance(x, str) for x in pols):
            prob.add(f"{where}.policy", "name the policy (or a list of policies) here or at the top of the file")
            pols = []
        as_of = case.get("as_of")
        if isinstance(as_of, str):
            try:
                as_of = dt.date.fromisoformat(as_of)
            except ValueError:
                pass
        if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
            prob.add(f"{where}.as_of", f"expected a date such as 2024-01-01 (no time of day), got {as_of!r}")
            as_of = None
        mode = case.get("mode", "jurisdiction")
        if mode not in ("jurisdiction", "what-if"):
            prob.add(f"{where}.mode", f"expected jurisdiction or what-if, got {mode!r}")
        if "community" in case and "communities" in case:
            prob.add(where, "give either community or communities, not both")
        comms = case.get("communities", [case["community"]] if "community" in case else None)
        if not isinstance(comms, list) or not comms or not all(isinstance(c, Mapping) for c in comms):
            prob.add(f"{where}.community", "expected a community (a mapping of fields) or a list of them")
            comms = []
        regions = case.get("regions") or {}
        if not isinstance(regions, Mapping):
            prob.add(f"{where}.regions", "expected a mapping of region code → fields")
            regions = {}
        for code, fields in regions.items():
            bad = _code_problem(code)
            if bad:
                prob.add(f"{where}.regions.{code}", bad)
            elif fields is not None and not isinstance(fields, Mapping):
                prob.add(f"{where}.regions.{code}", f"expected a mapping of region fields, got {fields!r:.40}")
        for j, c in enumerate(comms):
            if "code" in c and _code_problem(c["code"]):
                prob.add(f"{where}.community[{j}].code", str(_code_problem(c["code"])))
        expect = case.get("expect")
        if not isinstance(expect, Mapping) or not expect:
            prob.add(f"{where}.expect", "expected a mapping of rule id → status")
            expect = {}
        for rid, v in expect.items():
            if isinstance(v, Mapping):
                for code in v:
                    bad = _code_problem(code)
                    if bad:
                        prob.add(f"{where}.expect.{rid}.{code}", bad)
            vals = v.values() if isinstance(v, Mapping) else [v]
            for s in vals:
                if not isinstance(s, str) or s not in STATUS_KEYS:
                    hint = difflib.get_close_matches(str(s), STATUS_KEYS, n=1)
                    prob.add(f"{where}.expect.{rid}", f"unknown status {s!r}" +
                             (f"; did you mean {hint[0]!r}?" if hint else "") + f" (expected one of: {', '.join(STATUS_KEYS)})")
        measured = case.get("measured") or {}
        if not isinstance(measured, Mapping):
            prob.add(f"{where}.measured", "expected a mapping of rule id → value")
            measured = {}
        for rid, v in measured.items():
            for code, x in (v.items() if isinstance(v, Mapping) else [(None, v)]):
                at = f"{where}.measured.{rid}" + (f".{code}" if code is not None else "")
                bad = _code_problem(code) if code is not None else None
                if bad:
                    prob.add(at, bad)
                if not _is_number(x) or x != x or x in (float("inf"), float("-inf")):
                    prob.add(at, f"expected a finite number, got {x!r:.40}")
        parameters = case.get("parameters") or {}
        if not isinstance(parameters, Mapping):
            prob.add(f"{where}.parameters", "expected a mapping of parameter name → value, written as in the "
                                            "plug-in's data file (\"350 m**2\")")
            parameters = {}
        if isinstance(as_of, dt.date) and isinstance(expect, Mapping):
            out.append(Case(str(name), tuple(pols), as_of, mode, tuple(copy.deepcopy(comms)),
                            dict(regions), dict(expect), dict(measured), str(p), i, dict(parameters)))
    prob.raise_if_any(str(p))
    return out


def _pad(code: str) -> str:
    """A community code under *code*: missing levels filled with 01 / 001."""
    c = normalize_code(code)
    lv = code_level(c)
    d = lv.digits
    fill = {2: "01", 4: "01", 6: "001", 9: "001"}
    s = c[:d]
    while len(s) < 12:
        s += fill[len(s)]
    return s


def document(communities: Iterable[Mapping[str, Any]], *, regions: Mapping[str, Mapping[str, Any]] | None = None,
             under: str = "110101001") -> dict[str, Any]:
    """An interchange document of *communities* and every region above them, for tests.

    A community without a code gets the next one in a street under *under* (a division code of
    any level: ``"4313"`` gives 431301001001, 431301001002, …); one without a name gets a
    placeholder. *regions* sets fields of regions by (short) code, creating them if needed.
    """
    street = _pad(under)[:9]
    comms = []
    for i, c in enumerate(communities):
        d = dict(c)
        d.setdefault("code", f"{street}{i + 1:03d}")
        d.setdefault("name", f"case community {i + 1}")
        comms.append(d)
    chain: dict[str, dict[str, Any]] = {}
    for c in comms:
        try:
            code = normalize_code(c["code"])
        except ValueError:
            continue  # the loader names the bad code
        for lv in list(Level)[:4]:
            rc = code[:lv.digits] + "0" * (12 - lv.digits)
            chain.setdefault(rc, {"code": rc, "name": f"case {lv.value} {rc[:lv.digits]}"})
    for code, fields in (regions or {}).items():
        rc = normalize_code(code)
        for lv in list(Level)[:code_level(rc).depth + 1]:
            a = rc[:lv.digits] + "0" * (12 - lv.digits)
            chain.setdefault(a, {"code": a, "name": f"case region {a}"})
        chain[rc].update(fields or {})
    return {"schema": "shequ-gov/1", "regions": sorted(chain.values(), key=lambda r: r["code"]),
            "communities": comms}


def build_document(case: Case, jurisdiction: str) -> dict[str, Any]:
    """The interchange document a case describes: its communities and every region above them."""
    return document(case.communities, regions=case.regions, under=jurisdiction)


def run_case(case: Case) -> list[str]:
    """Run one case; return the list of mismatches (empty when the case holds)."""
    import shequ_gov as sg

    pols = [sg.policies.load(p) for p in case.policies]
    if case.parameters:
        pols, bad = _with_parameters(pols, case)
        if bad:
            return bad
    doc = build_document(case, pols[0].jurisdiction[0])
    ds = sg.Dataset.from_dict(doc, source=f"{case.path}: cases[{case.index}]")
    report = sg.evaluate(ds, pols, as_of=case.as_of, mode=case.mode)
    first = normalize_code(doc["communities"][0]["code"])
    problems: list[str] = []
    for rid, code, want in _expectations(report, case.expect, first, problems):
        try:
            got = report.status(code, rid)
        except KeyError as exc:
            problems.append(f"{rid} on {code}: {exc.args[0]}")
            continue
        if got.value != want:
            f = report.finding(code, rid)
            problems.append(f"{rid} on {normalize_code(code)}: expected {want}, got {got.value} — {f.message}")
    for rid, code, want in _expectations(report, case.measured, first, problems):
        try:
            got = report.finding(code, rid).measured
        except KeyError as exc:
            problems.append(f"{rid} on {code}: {exc.args[0]}")
            continue
        if got is None or abs(got - float(want)) > 1e-9 * max(1.0, abs(float(want))):
            problems.append(f"{rid} on {normalize_code(code)}: expected measured {want}, got {got}")
    return problems


def _with_parameters(pols: list[Any], case: Case) -> tuple[list[Any], list[str]]:
    """The case's policies under its ``parameters:`` (a reform per case, as OpenFisca's YAML tests
    allow), and the problems with them (a parameter no policy has, a value of the wrong unit)."""
    from .._errors import PolicyError
    from .._scenario import reform_policies

    try:
        return reform_policies(pols, dict(case.parameters), label="case file",
                               reason=f"set by the case “{case.name}” of {Path(case.path).name}"), []
    except PolicyError as exc:
        return pols, [f"{loc}: {msg}" for loc, msg in exc.problems]


def _expectations(report: Any, expected: Mapping[str, Any], first: str, problems: list[str]) -> Any:
    """(rule id, code, expected value) for each expectation: a bare value is about the first
    community, or its ancestor at a region-level rule's level; a mapping names codes."""
    for rid, exp in expected.items():
        try:
            targets = exp if isinstance(exp, Mapping) else {_subject(report, rid, first): exp}
        except KeyError as exc:
            problems.append(f"{rid}: {exc.args[0]}")
            continue
        for code, want in targets.items():
            yield rid, code, want


def _subject(report: Any, rule_id: str, community: str) -> str:
    b = report.verdicts(rule_id)
    if b.level is Level.COMMUNITY:
        return community
    return community[:b.level.digits] + "0" * (12 - b.level.digits)
