"""The plug-in registry: entry points, run-time registration, broken and duplicate plug-ins."""

import sys
from importlib.metadata import EntryPoint

import pytest

import shequ_gov as sg
from shequ_gov import policies


@pytest.fixture
def fake_entry_points(monkeypatch, tmp_path, toy_policy):
    """Four plug-ins: two claiming the id toy, one that raises on import, one that calls sys.exit."""
    (tmp_path / "good_plugin.py").write_text("import conftest\npolicy = conftest.TOY\n")
    (tmp_path / "copy_plugin.py").write_text("import conftest\npolicy = conftest.TOY\n")
    (tmp_path / "exiting_plugin.py").write_text("import sys\nsys.exit(3)\n")
    (tmp_path / "broken_plugin.py").write_text("raise ImportError('missing dependency foo')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = [EntryPoint("toy", "good_plugin:policy", policies.GROUP),
           EntryPoint("broken", "broken_plugin:policy", policies.GROUP),
           EntryPoint("toy", "copy_plugin:policy", policies.GROUP),
           EntryPoint("exiting", "exiting_plugin:policy", policies.GROUP),
           EntryPoint("toy", "good_plugin:policy", policies.GROUP)]
    monkeypatch.setattr(policies, "entry_points", lambda group: eps if group == policies.GROUP else [])
    policies.clear()
    yield
    policies.clear()
    policies.register(toy_policy)
    for m in ("broken_plugin", "exiting_plugin", "good_plugin", "copy_plugin"):
        sys.modules.pop(m, None)


def test_broken_and_duplicate_plugins_are_skipped_with_a_warning(fake_entry_points):
    """The host keeps working: the broken plug-ins (sys.exit included) are named in warnings; the two
    claiming one id are both refused, whatever their order, and the warning names both."""
    with pytest.warns(sg.PluginWarning) as record:
        names = policies.available()
    messages = " | ".join(str(w.message) for w in record)
    assert "'broken'" in messages and "missing dependency foo" in messages
    assert "'exiting'" in messages and "SystemExit" in messages
    assert "claimed by 2 plug-ins" in messages and "good_plugin:policy" in messages and "copy_plugin:policy" in messages
    assert names == []
    for name in ("broken", "exiting", "toy"):
        with pytest.raises(KeyError, match="skipped"):
            policies.load(name)


def test_keyboard_interrupt_in_a_plugin_is_not_swallowed(monkeypatch, tmp_path, toy_policy):
    """Ctrl-C while a plug-in imports stops the program, as it should."""
    (tmp_path / "interrupting_plugin.py").write_text("raise KeyboardInterrupt\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = [EntryPoint("interrupting", "interrupting_plugin:policy", policies.GROUP)]
    monkeypatch.setattr(policies, "entry_points", lambda group: eps if group == policies.GROUP else [])
    policies.clear()
    try:
        with pytest.raises(KeyboardInterrupt):
            policies.available()
    finally:
        policies.clear()
        policies.register(toy_policy)
        sys.modules.pop("interrupting_plugin", None)


def test_autoload_can_be_switched_off(fake_entry_points, monkeypatch):
    """SHEQU_GOV_DISABLE_PLUGIN_AUTOLOAD=1 loads no installed plug-in."""
    monkeypatch.setenv("SHEQU_GOV_DISABLE_PLUGIN_AUTOLOAD", "1")
    policies.clear()
    assert policies.available() == []


def test_register_and_load(toy_policy):
    """A policy registered at run time is available by its id; a clash needs replace=True."""
    import attrs

    assert policies.load("toy") is toy_policy
    other = attrs.evolve(toy_policy, name_en="Other")
    with pytest.raises(ValueError, match="already registered"):
        policies.register(other)
    policies.register(other, replace=True)
    assert policies.load("toy").name_en == "Other"
    policies.register(toy_policy, replace=True)


def test_unknown_policy_suggests(toy_policy):
    """Loading an unknown id suggests the closest and lists the available ones."""
    with pytest.raises(KeyError, match="did you mean 'toy'"):
        policies.load("tpy")


def test_info_rows(toy_policy):
    """info() gives id, version, distribution, jurisdiction and the number of rules."""
    row = next(r for r in policies.info() if r["id"] == "toy")
    assert row["rules"] == 4 and row["jurisdiction"] == "431300000000"


def test_covering_names_the_policies_whose_jurisdiction_holds_a_unit(toy_policy):
    """covering() is the jurisdiction query: inside Loudi the toy policy covers, outside it does not."""
    assert "toy" in policies.covering("431302001001")
    assert "toy" in policies.covering("4313")
    assert "toy" not in policies.covering("43")
    assert "toy" not in policies.covering("210203001001")
