"""The catalogue: README tables and documentation pages generated from policy metadata."""

from pathlib import Path

import pytest

import shequ_gov as sg
from shequ_gov import catalogue

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"


def test_markdown_table_lists_every_rule_with_dated_thresholds(toy_policy):
    """One row per rule; a parameter with several dated values shows each with its date."""
    table = catalogue.markdown_table(toy_policy)
    assert table.count("\n| `toy.") == len(toy_policy.rules)
    assert "min_area = 400 m² (from 2020-01-01) → 450 m² (from 2022-01-01)" in table


def test_update_readme_rewrites_only_the_marked_block(toy_policy, tmp_path):
    """The block between the markers is regenerated; the rest of the README is kept."""
    readme = tmp_path / "README.md"
    readme.write_text("# Toy\n\nintro\n\n<!-- rules-table -->\nold\n<!-- /rules-table -->\n\nafter\n", encoding="utf-8")
    assert not catalogue.readme_is_current(readme, toy_policy)
    assert catalogue.update_readme(readme, toy_policy)
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Toy\n\nintro\n") and text.endswith("\n\nafter\n") and "`toy.area`" in text
    assert catalogue.readme_is_current(readme, toy_policy)
    assert not catalogue.update_readme(readme, toy_policy)


def test_rst_page_quotes_sources(toy_policy, tmp_path):
    """A policy's page names each rule, its thresholds over time and its source sentence."""
    page = catalogue.rst_page(toy_policy)
    assert "``toy.area``" in page and "“面积不低于400平方米”" in page and "from 2022-01-01: **450 m²**" in page
    paths = catalogue.write_rst_pages(tmp_path, [toy_policy])
    assert {p.name for p in paths} == {"toy.rst", "index.rst"}


@pytest.mark.parametrize("plugin", sorted(p.name for p in PLUGINS.iterdir() if (p / "README.md").exists()))
def test_plugin_readme_tables_are_current(plugin):
    """Every plug-in README's rules table is what its metadata generates (run `shequ-gov catalogue readme`)."""
    if plugin not in sg.policies.available():
        pytest.fail(f"plug-in {plugin} is not installed: run `make test`, which installs every plug-in")
    readme = PLUGINS / plugin / "README.md"
    assert catalogue.readme_is_current(readme, sg.policies.load(plugin)), \
        f"{readme} is out of date: run `shequ-gov catalogue readme {readme}`"
