"""The HTML report opened in a real browser: headless Chromium over the DevTools protocol.

Chromium comes from Debian's ``chromium`` package (with ``fonts-noto-cjk`` for the Chinese), which
``.ci/run`` installs when missing. Where it cannot be had, these tests say so and skip.
"""

import pytest

import shequ_gov as sg
from shequ_gov import synth

import chromium  # noqa: E402  (tests/chromium.py, on the path through conftest)

pytestmark = pytest.mark.skipif(chromium.executable() is None,
                                reason="Chromium is not installed (apt-get install chromium fonts-noto-cjk); "
                                       "the browser check of the HTML report did not run")


def test_the_checks_catch_errors_and_requests(tmp_path):
    """A page with a script error, a console error and an outside request is caught on all three counts."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><p>你好</p><img src="http://127.0.0.1:9/x.png">'
                   '<script>console.error("boom"); notDefined();</script></body></html>', encoding="utf-8")
    out = chromium.load(bad)
    assert "http://127.0.0.1:9/x.png" in out.requests
    assert any("boom" in e for e in out.errors) and any("notDefined" in e for e in out.errors)
    assert "你好" in out.text


def test_report_opens_with_no_error_and_no_request(tmp_path):
    """The report page loads in Chromium with no console error and no network request, and shows its numbers."""
    ds = synth.generate("tiny", seed=5)
    pols = [p for p in ("jiangsu", "kaizhou", "liaoning", "loudi", "xigang") if p in sg.policies.available()]
    report = sg.evaluate(ds, pols, as_of="2024-06-30", mode="what-if")
    path = tmp_path / "report.html"
    report.to_html(path)
    out = chromium.load(path)
    shot = tmp_path / "report.png"
    shot.write_bytes(out.screenshot)
    assert out.errors == []
    assert out.requests == []
    s = report.summary().columns
    passes, fails = sum(s["pass"]), sum(s["fail"])
    for number in (f"{len(report):,}", f"{passes:,}", f"{fails:,}", f"{passes / (passes + fails):.1%}",
                   f"{len(ds):,}"):
        assert number in out.text, number
    assert "社区治理标准评估报告" in out.text and "Pass rates by region" in out.text
    assert shot.stat().st_size > 10_000 and out.screenshot.startswith(b"\x89PNG")


#: Click the "overall" header of the first drill-down table with several rows; read that column back.
SORT = """(() => { const t = [...document.querySelectorAll('#drilldown table.sortable')]
  .find(t => t.tBodies[0].rows.length > 2);
  t.tHead.rows[0].cells[2].click();
  return [...t.tBodies[0].rows].map(r => parseFloat(r.cells[2].textContent)); })()"""
#: Click a rate cell of a row that leads one level down; the page then shows that anchor.
FOLLOW = """(() => { const r = document.querySelector('#drilldown tr[data-to]');
  r.cells[4].click(); return [r.getAttribute('data-to'), location.hash.slice(1),
  !!document.getElementById(r.getAttribute('data-to'))]; })()"""


def test_tables_sort_and_rows_lead_down(tmp_path):
    """A click on a header sorts its table; a click on a cell goes to the region's children."""
    ds = synth.generate(400, seed=2)
    report = sg.evaluate(ds, "loudi", as_of="2024-06-30", mode="what-if")
    path = tmp_path / "report.html"
    report.to_html(path)
    out = chromium.load(path, expressions=(SORT, FOLLOW))
    assert out.errors == [] and out.requests == []
    rates = [v for v in out.values[0] if v == v]
    assert len(rates) > 2 and rates == sorted(rates)
    target, shown, exists = out.values[1]
    assert shown == target and exists
