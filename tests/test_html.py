"""The HTML report and the notebook displays: self-contained, bilingual, consistent with the report."""

import html
import re

import pytest

import shequ_gov as sg
from shequ_gov import synth
from shequ_gov._html import Page, Section, report_page
from shequ_gov.cli import main

FIVE = ["jiangsu", "kaizhou", "liaoning", "loudi", "xigang"]


@pytest.fixture(scope="module")
def report():
    ds = synth.generate(120, seed=3)
    pols = [p for p in FIVE if p in sg.policies.available()]
    return sg.evaluate(ds, pols, as_of="2024-06-30", mode="what-if")


@pytest.fixture(scope="module")
def page(report):
    return report.to_html()


def _block(page: str, rule_id: str) -> str:
    start = page.index(f'<h3 id="fail-{rule_id}">')
    end = page.find("<h3", start + 1)
    return page[start:end if end > 0 else None]


class TestSelfContained:
    def test_every_link_stays_inside_the_page(self, page):
        """Every src and href is an anchor of the page itself; no stylesheet, font or script is loaded."""
        targets = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page)
        assert targets and all(t.startswith("#") for t in targets), [t for t in targets if not t.startswith("#")]
        assert not re.search(r"<link\b|@import|url\(|<script[^>]+src", page)
        ids = set(re.findall(r'\bid="([^"]+)"', page))
        missing = {t[1:] for t in targets} - ids
        assert not missing

    def test_rows_lead_to_existing_tables(self, page):
        """A drill-down row's target (the level below) exists in the page."""
        ids = set(re.findall(r'\bid="([^"]+)"', page))
        to = re.findall(r'data-to="([^"]+)"', page)
        assert to and set(to) <= ids

    def test_write_is_atomic_and_equals_the_text(self, report, tmp_path):
        """to_html(path) writes the page and returns None; only the page is left in the directory."""
        out = tmp_path / "r.html"
        assert report.to_html(out) is None
        text = out.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>") and "社区治理标准评估报告" in text
        assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


class TestContent:
    def test_headline_numbers_are_the_reports(self, report, page):
        """The header shows the report's verdict count and its pooled PASS and FAIL counts."""
        s = report.summary().columns
        passes, fails = sum(s["pass"]), sum(s["fail"])
        assert f"{len(report):,} 项判定" in page
        assert f"<b>{passes:,}</b>" in page and f"<b>{fails:,}</b>" in page
        assert f'id="pass-rate">{passes / (passes + fails):.1%}<' in page

    def test_header_names_versions_and_fingerprint(self, report, page):
        """The header carries each policy's version, as_of, mode and the dataset's fingerprint."""
        assert report.dataset.fingerprint() in page and "2024-06-30" in page and sg.__version__ in page
        for p in report.policies:
            assert f"<code>{p.id}</code> v{p.version}" in page

    def test_sections_are_bilingual(self, page):
        """Each section title has Chinese first and English beside it."""
        for zh, en in [("评估概况", "About this evaluation"), ("各政策总览", "Overview by policy"),
                       ("分地区达标率", "Pass rates by region"), ("未达标单位", "Failing communities and regions")]:
            assert re.search(f"{zh} <span class=\"en\">{en}</span>", page)

    def test_failing_units_come_worst_first_with_their_explanation(self, report):
        """Per rule, failing units are ordered by shortfall (largest first), bounded, each with its explanation."""
        text = report_page(report, max_failing=5).render()
        fails = dict(zip(report.summary().columns["rule"], report.summary().columns["fail"]))
        rid = next(r for r in report.rule_ids if fails[r] > 5 and _has_shortfall(report, r))
        block = _block(text, rid)
        codes = re.findall(r"<summary><code>(\d{12})</code>", block)
        assert len(codes) == 5
        shortfalls = [report.finding(c, rid).shortfall for c in codes]
        assert shortfalls == sorted(shortfalls, reverse=True)
        failing = {r["code"]: r["shortfall"] for r in report.findings if r["rule"] == rid and r["status"] == "fail"}
        assert shortfalls[0] == max(failing.values())
        assert html.escape(report.explain(codes[0], rid)) in block

    def test_overview_counts_match_the_summary(self, report, page):
        """The overview table row of a rule shows its summary counts and pass rate."""
        s = report.summary()
        row = next(iter(s))
        cells = re.search(rf'>{re.escape(row["rule"])}</a>?</td>(.*?)</tr>', page).group(1)
        nums = re.findall(r"<td class=n>([^<]*)</td>", cells)
        assert nums[0] == f"{row['pass']:,}" and nums[1] == f"{row['fail']:,}"
        assert nums[-1] == f"{row['pass_rate']:.1%}"

    def test_large_levels_are_summarised(self, report):
        """A level with more regions than the limit shows its best and worst regions, not every one."""
        text = report_page(report, max_listed=3).render()
        assert "lowest pass rate" in text and "highest pass rate" in text
        full = report_page(report).render()
        assert "lowest pass rate" not in full

    def test_summarised_level_ranks_regions_judged_often_enough(self, report):
        """The worst region listed has the lowest pass rate among regions judged at least the median number of times."""
        import numpy as np

        text = report_page(report, max_listed=3).render()
        pol = report.policies[0].id
        start = text.index(f'id="dd-{pol}-street"')
        worst_code = re.search(r"lowest pass rate.*?<tbody><tr><td>(\d{12})</td>", text[start:], re.S).group(1)
        s = report.summary(level="street").columns
        judged: dict[str, list[int]] = {}
        for p, region, np_, nf in zip(s["policy"], s["region"], s["pass"], s["fail"]):
            if p == pol:
                j = judged.setdefault(region, [0, 0])
                j[0] += np_
                j[1] += np_ + nf
        floor = np.median([t for _, t in judged.values()])
        rates = {r: p / t for r, (p, t) in judged.items() if t >= floor and t > 0}
        assert rates[worst_code] == min(rates.values())

    def test_indicators_face_the_sources_figures(self, report, page):
        """Indicator rules show the parameters in force that carry the sources' figures."""
        ind = [r for p in report.policies for r in p.rules if r.kind == "indicator"]
        if not ind:
            pytest.skip("no indicator rule installed")
        section = page[page.index('<section id="indicators">'):]
        for r in ind:
            assert r.id in section
            for name in r.parameters:
                assert name in section


def _has_shortfall(report, rid):
    return any(r["shortfall"] == r["shortfall"] and r["shortfall"] is not None
               for r in report.findings if r["rule"] == rid and r["status"] == "fail")


class TestErrors:
    def test_a_failing_rule_is_named_with_its_error(self, example_doc, toy_policy):
        """A rule that raised shows in the overview with the error's message."""
        import attrs

        def broken(c, p):
            raise ValueError("bad column")

        rule = attrs.evolve(toy_policy.rules[0], function=broken)
        pol = attrs.evolve(toy_policy, rules=(rule,) + tuple(toy_policy.rules[1:]))
        with pytest.warns(Warning):
            report = sg.evaluate(sg.Dataset.from_dict(example_doc), pol, as_of="2023-01-01")
        text = report.to_html()
        assert f"<code>{rule.id}</code>" in text and "bad column" in text


class TestPage:
    def test_sections_compose(self):
        """A page renders its sections in order, with a table of contents linking to each."""
        page = Page("比较", "Comparison").add(Section("a", "甲", "A", "<p>one</p>")).add(Section("b", "乙", "B", "x"))
        text = page.render()
        assert text.index('id="a"') < text.index('id="b"') and 'href="#b"' in text and "<p>one</p>" in text

    def test_timings_name_every_part(self, report):
        """With timings, report_page records the seconds of the summary and of each section."""
        t: dict = {}
        report_page(report, timings=t)
        assert set(t) == {"summary", "header", "overview", "drilldown", "failing", "indicators"}
        assert all(v >= 0 for v in t.values())

    def test_text_is_escaped(self):
        """Section titles are escaped: a name cannot inject markup."""
        text = Page("t", "t").add(Section("x", "<b>", "&", "")).render()
        assert "&lt;b&gt;" in text and "&amp;" in text


class TestNotebook:
    def test_report_repr_shows_worst_rules_first(self, report):
        """The notebook display leads with the headline and lists the lowest pass rate first."""
        out = report._repr_html_()
        s = report.summary()
        rows = sorted((r for r in s if r["pass_rate"] == r["pass_rate"]), key=lambda r: r["pass_rate"])
        assert f"{len(report):,}" in out
        assert out.index(rows[0]["rule"]) < out.index(rows[1]["rule"]) or rows[0]["pass_rate"] == rows[1]["pass_rate"]
        assert len(out) < 40_000

    def test_dataset_repr_counts_levels_and_jurisdictions(self, report):
        """The dataset display gives counts per level and which installed policies' jurisdictions it covers."""
        ds = report.dataset
        out = ds._repr_html_()
        for lv, n in ds.level_counts().items():
            assert f"{lv.zh} <span class=\"en\">{lv.value}</span></td><td class=n>{n:,}<" in out
        for p in report.policies:
            n = sum(int(ds.within(c).sum()) for c in p.jurisdiction)
            if n:
                assert f"{p.id} {p.name_zh}" in out and f"{n:,}" in out


class TestCli:
    @pytest.fixture
    def data(self, tmp_path, example_doc):
        p = tmp_path / "d.json"
        sg.Dataset.from_dict(example_doc).write(p)
        return str(p)

    def test_format_html_writes_the_page(self, data, tmp_path):
        """`evaluate --format html -o` writes the self-contained page."""
        out = tmp_path / "r.html"
        argv = ["evaluate", data, "--policy", "toy", "--as-of", "2023-01-01", "--format", "html", "-o", str(out)]
        assert main(argv) == 0
        assert "toy.area" in out.read_text(encoding="utf-8")

    @pytest.mark.parametrize("fmt", ["json", "csv"])
    def test_level_summarises_json_and_csv(self, data, tmp_path, fmt, capsys):
        """`--level` with json or csv gives the summary per region of that level, not every verdict."""
        out = tmp_path / f"s.{fmt}"
        argv = ["evaluate", data, "--policy", "toy", "--as-of", "2023-01-01", "--format", fmt, "--level", "street"]
        assert main(argv + ["-o", str(out)]) == 0
        text = out.read_text(encoding="utf-8")
        if fmt == "json":
            import json

            doc = json.loads(text)
            assert doc["level"] == "street" and {r["region"] for r in doc["summary"]} == {"431302001000"}
        else:
            assert text.splitlines()[0].startswith("policy,rule,strength,region,region_name")
            assert "431302001000,乐坪街道" in text

    def test_level_with_html_is_refused(self, data, tmp_path, capsys):
        """`--level` with html is refused with a message, and nothing is written."""
        out = tmp_path / "r.html"
        assert main(["evaluate", data, "--policy", "toy", "--format", "html", "--level", "city", "-o", str(out)]) == 2
        assert "--level does not apply to --format html" in capsys.readouterr().err
        assert not out.exists()
