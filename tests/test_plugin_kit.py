"""The plug-in checks of shequ_gov.testing (quotes, catalogue, entry point, cases), on a plug-in
written by the scaffold and loaded by path, and the short messages of broken case files."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import shequ_gov as sg
from shequ_gov import testing as T
from shequ_gov.scaffold import new_policy


@pytest.fixture
def plugin(tmp_path, monkeypatch, request):
    """A fresh scaffolded plug-in (a unique id per test), imported from its source folder: (root, policy)."""
    name = "kit_" + request.node.name.replace("test_", "")[:20].replace("-", "_")
    root = new_policy(name, jurisdiction="4301", directory=tmp_path / name)
    monkeypatch.syspath_prepend(str(root / "src"))
    monkeypatch.delenv("SHEQU_GOV_SOURCES", raising=False)
    module = importlib.import_module(f"shequ_gov_{name}")
    yield root, module.policy
    sys.modules.pop(f"shequ_gov_{name}", None)
    sys.modules.pop(f"shequ_gov_{name}.staffing", None)


def test_a_scaffolded_plugin_passes_the_file_checks(plugin):
    """Quotes, catalogue and cases of a fresh plug-in pass, found from its folder."""
    root, policy = plugin
    assert T.plugin_root(policy) == root
    T.check_quotes(policy)
    T.check_catalogue(policy)
    T.check_cases(policy)


def test_source_texts_are_found_by_the_documented_rule(plugin, tmp_path, monkeypatch):
    """sources/ first, then [tool.shequ_gov] sources of the pyproject, then SHEQU_GOV_SOURCES; else every place is named."""
    root, policy = plugin
    pkg_sources = Path(policy.path).parent / "sources"
    texts = tmp_path / "texts"
    texts.mkdir()
    (f,) = pkg_sources.iterdir()
    shutil.move(str(f), texts / f.name)
    with pytest.raises(AssertionError) as info:
        T.check_quotes(policy)
    assert f"the text '{f.name}'" in str(info.value) and str(pkg_sources) in str(info.value)

    monkeypatch.setenv("SHEQU_GOV_SOURCES", str(texts))
    T.check_quotes(policy)
    monkeypatch.delenv("SHEQU_GOV_SOURCES")

    with open(root / "pyproject.toml", "a", encoding="utf-8") as out:
        out.write('\n[tool.shequ_gov]\nsources = ["../texts"]\n')
    assert T.source_dirs(policy) == [pkg_sources, texts.resolve()]
    T.check_quotes(policy)


def test_a_quote_not_in_the_text_fails(plugin):
    """A text that lacks the quoted sentence fails check_quotes, naming the quote and the file."""
    _, policy = plugin
    (f,) = (Path(policy.path).parent / "sources").iterdir()
    f.write_text("另一段文字。", encoding="utf-8")
    with pytest.raises(AssertionError, match="“每个社区至少配备5名专职工作人员” is not in"):
        T.check_quotes(policy)


def test_a_stale_readme_table_fails_the_catalogue_check(plugin):
    """A README whose rules table differs from the metadata fails, with the command that fixes it."""
    root, policy = plugin
    readme = root / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("5 worker", "6 worker"), encoding="utf-8")
    with pytest.raises(AssertionError, match="out of date: run `shequ-gov catalogue readme"):
        T.check_catalogue(policy)


def test_a_rule_without_a_case_fails(plugin):
    """check_cases names the rules no case expects anything of, and a case file that does not load."""
    root, policy = plugin
    cases = root / "tests" / "cases" / "staffing.cases.yaml"
    cases.write_text(f"policy: {policy.id}\ndefaults: {{as_of: 2024-06-30}}\ncases:\n"
                     f"  - name: other\n    community: {{}}\n    expect: {{loudi.staffing.ratio: unknown}}\n",
                     encoding="utf-8")
    (root / "tests" / "cases" / "broken.cases.yaml").write_text("policy: x\ncasess: []\n", encoding="utf-8")
    with pytest.raises(AssertionError) as info:
        T.check_cases(policy)
    msg = str(info.value)
    assert f"rules without a case: {policy.id}.staffing.minimum" in msg and "did you mean 'cases'?" in msg


def test_a_policy_not_installed_fails_the_entry_point_check(plugin):
    """A plug-in loaded by path has no installed entry point: the check says how to install it."""
    root, policy = plugin
    with pytest.raises(AssertionError, match=f"no installed entry point '{policy.id}'.*pip install -e {root}"):
        T.check_entry_point(policy)


def test_an_installed_plugin_passes_the_entry_point_check():
    """loudi's entry point gives loudi, and its pyproject declares it."""
    T.check_entry_point(sg.policies.load("loudi"))


def test_plugin_tests_gives_one_test_per_check(plugin):
    """The one line a plug-in's tests need is parametrized by every check; an unknown expected failure is refused."""
    _, policy = plugin
    test = T.plugin_tests(policy)
    (mark,) = [m for m in test.pytestmark if m.name == "parametrize"]
    names = [p.id for p in mark.args[1]]
    assert names == [c.__name__ for c in T.all_checks()] + ["check_quotes", "check_catalogue", "check_entry_point",
                                                            "check_cases"]
    with pytest.raises(ValueError, match="check_nothing"):
        T.plugin_tests(policy, expected_failures={"check_nothing": "?"})


def test_first_party_plugins_find_the_shared_seeds():
    """The plug-ins of this project name ../shared/seeds (beside the checkout) in their pyproject."""
    seeds = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
    for pid in ("jiangsu", "kaizhou", "liaoning", "loudi", "xigang"):
        assert seeds.resolve() in T.source_dirs(sg.policies.load(pid)), pid


@pytest.mark.parametrize("content, expected", [
    ("policy: loudi\ndefaults: {as_of: 2024-01-01}\ncases:\n  - name: a typo\n"
     "    community: {area_type: urban, staff: [{role: [worker]}]}\n    expect: {loudi.staffing.ratio: fail}\n",
     "staff[0].role: unknown field 'role'; did you mean 'roles'?"),
    ("policy: loudi\ncasess: []\n", "unknown key 'casess'; did you mean 'cases'?"),
])
def test_a_broken_case_file_prints_one_short_message(tmp_path, content, expected):
    """A typo in a case file gives its message in a few lines, not pytest's internals."""
    (tmp_path / "bad.cases.yaml").write_text(content, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "bad.cases.yaml"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and expected in run.stdout
    assert len(run.stdout.splitlines()) < 15 and "Traceback" not in run.stdout and "_pytest" not in run.stdout


def test_a_rule_that_cannot_fail_on_sample_data_is_named(toy_policy):
    """check_every_verdict_reached: a threshold of 0 m² never fails, and the check says so, naming the rule."""
    T.check_every_verdict_reached(toy_policy)
    lax = toy_policy.with_parameters({"min_area": "0 m**2"}, reason="a threshold no community can miss")
    with pytest.raises(AssertionError, match=r"toy\.area: never fail on 600 sample communities"):
        T.check_every_verdict_reached(lax)
    T.check_every_verdict_reached(lax, except_rules=["toy.area"])
    with pytest.raises(AssertionError, match="except_rules names no rule of toy: toy.aera"):
        T.check_every_verdict_reached(lax, except_rules=["toy.aera"])
