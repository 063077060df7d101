"""The report layer: one rule's verdicts through public API, typed comparisons, status codes in one place,
and modules that depend one way (engine → report → verdicts), never back."""

import ast
from pathlib import Path

import numpy as np
import pytest

import shequ_gov as sg
from shequ_gov import _vocab
from shequ_gov.rules import Outcome, Relation, Tri

SRC = Path(sg.__file__).parent


@pytest.fixture(scope="module")
def city_report():
    return sg.evaluate(sg.synth.generate(300, seed=3), as_of="2024-06-30", mode="what-if")


class TestRuleVerdicts:
    def test_columns_agree_with_status_and_finding_for_every_judged_unit(self, city_report):
        """verdicts(rule) holds, row for row, what status() and finding() say of each judged unit."""
        for rid in city_report.rule_ids[::4]:
            v = city_report.verdicts(rid)
            assert len(v) == len(v.codes) == len(v.status)
            for i in range(0, len(v), 37):
                code = f"{v.codes[i]:012d}"
                f = city_report.finding(code, rid)
                assert v.statuses()[i] is f.status is city_report.status(code, rid)
                for got, want in ((v.measured, f.measured), (v.required, f.required), (v.shortfall, f.shortfall)):
                    if got is None or want is None:
                        assert want is None or got is None and want is None
                    else:
                        assert (np.isnan(got[i]) and want is None) or got[i] == want

    def test_counts_sum_to_the_units_judged_and_match_the_summary(self, city_report):
        """counts() covers every status, sums to len(), and equals the summary's row for the rule."""
        summary = {r["rule"]: r for r in city_report.summary().rows()}
        for rid in city_report.rule_ids:
            v = city_report.verdicts(rid)
            counts = v.counts()
            assert set(counts) == set(sg.Status) and sum(counts.values()) == len(v)
            assert all(summary[rid][s.value] == n for s, n in counts.items())
            assert v.count("fail") == v.count(sg.Status.FAIL) == counts[sg.Status.FAIL]

    def test_columns_are_read_only(self, city_report):
        """The arrays are views a caller cannot write into (the report stays as evaluated)."""
        v = city_report.verdicts(city_report.rule_ids[0])
        with pytest.raises(ValueError):
            v.status[0] = 0
        with pytest.raises(ValueError):
            v.codes[0] = 0

    def test_unknown_rule_suggests_the_closest(self, city_report):
        """An unknown rule id is a KeyError with a did-you-mean."""
        rid = city_report.rule_ids[0]
        with pytest.raises(KeyError, match="did you mean"):
            city_report.verdicts(rid[:-1] + "x")

    def test_rule_metadata_is_carried(self, city_report):
        """The rule, its policy, level, unit, comparison and the parameters its function read come along."""
        for rid in city_report.rule_ids:
            v = city_report.verdicts(rid)
            assert v.rule.id == rid and v.policy.id == rid.split(".")[0] and v.level is v.rule.level
            assert v.error is None and v.relation in set(Relation)
            assert set(v.parameters_read) <= set(v.rule.parameters)


class TestRelation:
    @pytest.mark.parametrize("rel", [Relation.AT_LEAST, Relation.AT_MOST, Relation.NONE, Relation.BETWEEN])
    def test_gap_is_positive_exactly_when_a_comparison_fails(self, rel):
        """For measured/required pairs that fail the comparison, the gap is the positive distance to passing."""
        m = np.array([3.0, 10.0, 7.0])
        r = np.array([5.0, 4.0, 7.0])
        gap = rel.gap(m, r)
        if rel is Relation.AT_LEAST:
            assert gap.tolist() == [2.0, -6.0, 0.0]
        elif rel is Relation.BETWEEN:
            assert gap.tolist() == [2.0, 6.0, 0.0]
        else:
            assert gap.tolist() == [-2.0, 6.0, 0.0]

    def test_a_relation_without_shortfall_says_so(self):
        """Conditions and indicators have no distance to passing: asking is an error, not a number."""
        for rel in (Relation.CONDITION, Relation.MEASURE):
            assert not rel.has_shortfall
            with pytest.raises(ValueError, match="no shortfall"):
                rel.gap(1.0, 2.0)

    def test_strings_parse_and_unknown_ones_are_refused(self):
        """An outcome given op='>=' holds Relation.AT_LEAST; an unknown comparison names the known ones."""
        o = Outcome(Tri.true(2), measured=np.ones(2), required=1.0, op=">=")
        assert o.op is Relation.AT_LEAST
        with pytest.raises(ValueError, match="'>=', '<='"):
            Outcome(Tri.true(2), op="=>")

    def test_compare_takes_a_relation_or_its_string(self):
        """rules.compare gives the same verdicts for Relation.AT_MOST and '<='; a non-comparison is refused."""
        from shequ_gov.rules import compare

        m, r = np.array([1.0, 2.0, np.nan]), 1.5
        assert compare(m, r, "<=").states() == compare(m, r, Relation.AT_MOST).states() == ["true", "false",
                                                                                           "unknown"]
        with pytest.raises(ValueError, match="compare"):
            compare(m, r, Relation.BETWEEN)


class TestStatusCodes:
    def test_every_status_has_one_code_and_statuses_invert_it(self):
        """Status.code is a bijection onto 0..n-1, and STATUSES[code] gives the status back."""
        codes = [s.code for s in sg.Status]
        assert sorted(codes) == list(range(len(sg.Status)))
        assert all(_vocab.STATUSES[s.code] is s for s in sg.Status)
        assert (_vocab.S_PASS, _vocab.S_FAIL, _vocab.S_ERROR) == (sg.Status.PASS.code, sg.Status.FAIL.code,
                                                                   sg.Status.ERROR.code)

    def test_stored_codes_read_back_as_the_report_says(self, city_report):
        """A status column's codes, read through STATUSES, are the statuses the report answers with."""
        rid = city_report.rule_ids[0]
        v = city_report.verdicts(rid)
        code = f"{v.codes[0]:012d}"
        assert _vocab.STATUSES[int(v.status[0])] is city_report.status(code, rid)


def _imports(path: Path) -> set[str]:
    """The package-relative modules *path* imports at run time (not those under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and getattr(node.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(node)}
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and id(node) not in typing_only:
            if node.module:
                out.add(node.module)
            else:
                out.update(a.name for a in node.names)
    return out


class TestLayers:
    def test_the_report_layer_never_imports_the_engine(self):
        """engine → report → verdicts: the report's modules and the low verdict module do not import _engine."""
        for name in ("_report", "_writers", "_explain", "_table", "_verdict", "_html"):
            assert "_engine" not in _imports(SRC / f"{name}.py"), name

    def test_the_verdict_module_sits_below_policies_rules_and_reports(self):
        """_verdict imports only the vocabulary (the policy types only for annotations)."""
        assert _imports(SRC / "_verdict.py") <= {"_vocab"}

    def test_command_line_and_kit_use_public_report_api(self):
        """The CLI and the testing kit read reports through public methods, not their private storage."""
        for path in [SRC / "cli.py", *sorted((SRC / "testing").glob("*.py"))]:
            text = path.read_text(encoding="utf-8")
            assert "._blocks" not in text and "._block(" not in text, path.name


def test_the_library_leaves_malloc_alone_until_asked(monkeypatch):
    """Evaluating never changes the host process's allocator; reuse_freed_memory() does, once, on glibc."""
    import ctypes
    import platform

    from shequ_gov import _memory

    calls = []

    class FakeLibc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(_memory, "_DONE", [])
    monkeypatch.setattr(ctypes, "CDLL", lambda name: FakeLibc())
    monkeypatch.setattr(platform, "system", lambda: "Linux")
    monkeypatch.setattr(platform, "libc_ver", lambda: ("glibc", "2.36"))
    sg.evaluate(sg.synth.generate(50, seed=1), as_of="2024-06-30")
    assert calls == []
    assert sg.reuse_freed_memory() is True and sg.reuse_freed_memory() is True
    assert calls == [(-3, 256 << 20), (-1, 512 << 20)]
    monkeypatch.setattr(_memory, "_DONE", [])
    monkeypatch.setattr(platform, "libc_ver", lambda: ("musl", ""))
    assert sg.reuse_freed_memory() is False and len(calls) == 2


@pytest.mark.parametrize("bad", [123, None, ["x"], 1.5])
def test_a_rule_id_that_is_not_a_string_is_named_as_such(city_report, bad):
    """verdicts/status/explain with a non-string rule id: a TypeError saying what a rule id is, not a bare one."""
    code = f"{city_report.verdicts(city_report.rule_ids[0]).codes[0]:012d}"
    for ask in (lambda: city_report.verdicts(bad), lambda: city_report.status(code, bad),
                lambda: city_report.explain(code, bad)):
        with pytest.raises(TypeError, match="a rule id is a string such as"):
            ask()
