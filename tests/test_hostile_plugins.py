"""Hostile plug-ins: whatever a plug-in does at import or when called, the host goes on; the
plug-in is skipped with a PluginWarning naming it and what went wrong."""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint

import pytest

import shequ_gov as sg
from shequ_gov import policies

#: (module source, attribute, words the warning must contain)
PLUGINS = [
    ("raise ImportError('needs foo')", "policy", "ImportError: needs foo"),
    ("def broken(:\n    pass", "policy", "SyntaxError"),
    ("import sys\nsys.exit(0)", "policy", "SystemExit"),
    ("import sys\nsys.exit('bye')", "policy", "SystemExit: bye"),
    ("raise SystemExit(3)", "policy", "SystemExit: 3"),
    ("class Odd(BaseException):\n    pass\nraise Odd('odd')", "policy", "Odd: odd"),
    ("raise GeneratorExit", "policy", "GeneratorExit"),
    ("def f(): return f()\nf()", "policy", "RecursionError"),
    ("policy = 42", "policy", "expected a shequ_gov.Policy, got int"),
    ("def policy(): return None", "policy", "expected a shequ_gov.Policy, got NoneType"),
    ("import sys\ndef policy(): sys.exit(1)", "policy", "SystemExit: 1"),
    ("def policy(): raise MemoryError('fake')", "policy", "MemoryError"),
    ("x = 1", "policy", "AttributeError"),
    ("import shequ_gov as sg\nsg.Policy.from_toml('/nonexistent/policy.toml')", "policy", "cannot read"),
]


@pytest.fixture
def install(monkeypatch, tmp_path, toy_policy):
    """Install the given (name, module source, attribute) plug-ins, plus the good toy plug-in."""
    made = []

    def go(specs):
        eps = [EntryPoint("toy", "good_plugin_h:policy", policies.GROUP)]
        (tmp_path / "good_plugin_h.py").write_text("import conftest\npolicy = conftest.TOY\n")
        made.append("good_plugin_h")
        for name, src, attr in specs:
            (tmp_path / f"{name}.py").write_text(src + "\n")
            made.append(name)
            eps.append(EntryPoint(name, f"{name}:{attr}", policies.GROUP))
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.setattr(policies, "entry_points", lambda group: eps if group == policies.GROUP else [])
        policies.clear()

    yield go
    policies.clear()
    policies.register(toy_policy)
    for m in made:
        sys.modules.pop(m, None)


@pytest.mark.parametrize("index", range(len(PLUGINS)))
def test_a_hostile_plugin_is_skipped_with_a_warning_naming_it(install, index):
    src, attr, words = PLUGINS[index]
    name = f"hostile_{index}"
    install([(name, src, attr)])
    with pytest.warns(sg.PluginWarning) as record:
        names = policies.available()
    msg = " | ".join(str(w.message) for w in record)
    assert f"'{name}'" in msg and words in msg, msg
    assert names == ["toy"]  # the good plug-in still loads, the host is alive
    with pytest.raises(KeyError, match="skipped"):
        policies.load(name)


def test_two_plugins_claiming_one_id_are_both_refused_in_either_order(install, monkeypatch):
    for order in (0, 1):
        specs = [("claim_a", "import conftest\npolicy = conftest.TOY", "policy"),
                 ("claim_b", "import conftest\npolicy = conftest.TOY", "policy")]
        install(specs[::-1] if order else specs)
        eps = policies.entry_points(policies.GROUP)
        eps[:] = [EntryPoint("toy", f"{n}:policy", policies.GROUP) for n, _, _ in (specs[::-1] if order else specs)]
        policies.clear()
        with pytest.warns(sg.PluginWarning, match="claimed by 2 plug-ins") as record:
            assert policies.available() == []
        msg = str(record[0].message)
        assert "claim_a:policy" in msg and "claim_b:policy" in msg
