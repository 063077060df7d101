"""The HTML report: one self-contained page built from a :class:`~shequ_gov.Report`'s public queries.

A page is a list of sections (:class:`Page`, :class:`Section`); :func:`report_page` assembles the
standard ones — header, overview per policy, drill-down by region, failing communities per rule,
indicators and targets against the sources' figures. Other tools (comparisons, sweeps) build their
own sections with the helpers here and add them to a page.

Charts are SVG drawn here, on the server side: the page holds no script library, no web font and
no link to anything outside itself, so it opens from disk with no network. A few lines of inline
JavaScript make tables sortable and table cells follow their row's link. Notebook displays
(``_repr_html_``) are built from the same pieces.
"""

from __future__ import annotations

import html
import os
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

from ._codes import code_level
from ._io import atomic_write
from ._policy import STRENGTH_LABELS, _fmt_number, _unit_label
from ._vocab import STATUSES, Level, Status

if TYPE_CHECKING:
    from ._dataset import Dataset
    from ._report import Report

__all__ = ["Page", "Section", "report_page", "report_html", "report_repr_html", "dataset_repr_html"]

#: Levels a drill-down walks through, top first.
REGION_LEVELS = (Level.PROVINCE, Level.CITY, Level.DISTRICT, Level.STREET)
#: A level with more regions than this is summarised (best and worst) instead of listed in full.
MAX_LISTED_REGIONS = 4000
#: How many best and worst regions a summarised level shows.
TOP_BOTTOM = 25
#: How many failing units each rule lists (the worst first).
MAX_FAILING_PER_RULE = 20

#: Colours of the statuses, in every chart and legend.
STATUS_COLOURS = {Status.PASS: "#2e7d32", Status.FAIL: "#c62828", Status.UNKNOWN: "#9e9e9e",
                  Status.ERROR: "#6a1b9a", Status.MEASURED: "#1565c0", Status.NOT_APPLICABLE: "#e0e0e0"}

esc = html.escape


def bi(zh: str, en: str) -> str:
    """A bilingual label: the Chinese first, the English beside it (HTML)."""
    return f'{esc(zh)} <span class="en">{esc(en)}</span>'


def pct(v: float | None) -> str:
    """A rate as a percentage with one decimal, or a dash where there is none."""
    return "—" if v is None or v != v else f"{v:.1%}"


# --- page and sections ----------------------------------------------------------------------------
class Section:
    """One section of a page: an anchor id, a bilingual title and its HTML body."""

    def __init__(self, id: str, title_zh: str, title_en: str, body: str):
        self.id, self.title_zh, self.title_en, self.body = id, title_zh, title_en, body

    def html(self) -> str:
        """The section as an HTML ``<section>`` element."""
        return (f'<section id="{esc(self.id)}"><h2>{bi(self.title_zh, self.title_en)}</h2>\n'
                f"{self.body}\n</section>\n")


class Page:
    """A self-contained HTML document made of sections, with a table of contents.

    Build one, :meth:`add` sections (in order), then :meth:`render` or :meth:`write` it.
    """

    def __init__(self, title_zh: str, title_en: str):
        self.title_zh, self.title_en = title_zh, title_en
        self.sections: list[Section] = []

    def add(self, section: Section) -> "Page":
        """Append *section*; returns the page, so calls chain."""
        self.sections.append(section)
        return self

    def render(self) -> str:
        """The whole document as one string."""
        toc = "".join(f'<li><a href="#{esc(s.id)}">{bi(s.title_zh, s.title_en)}</a></li>' for s in self.sections)
        title = f"{self.title_zh} / {self.title_en}"
        return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>\n"
                f"<h1>{bi(self.title_zh, self.title_en)}</h1>\n<nav><ol>{toc}</ol></nav>\n"
                + "".join(s.html() for s in self.sections)
                + f"<script>{SCRIPT}</script>\n</body></html>\n")

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the document to *path* atomically (UTF-8)."""
        text = self.render()
        atomic_write(path, lambda f: f.write(text.encode("utf-8")))


CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:1.5em auto;
max-width:1200px;padding:0 1em;color:#212121;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #1565c0;padding-bottom:.2em;margin-top:2em}
h3{margin-top:1.5em}.en{color:#616161;font-weight:normal;font-size:.9em}
nav ol{columns:2;font-size:.95em}table{border-collapse:collapse;margin:.5em 0;font-size:.88em}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}th{background:#f5f5f5}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
table.sortable th{cursor:pointer}table.sortable th:after{content:" ⇅";color:#aaa}
.scroll{overflow-x:auto;max-width:100%;content-visibility:auto;contain-intrinsic-size:auto 200px}.muted{color:#757575}
.kv td:first-child{font-weight:bold;white-space:nowrap}
.legend span{display:inline-block;margin-right:1em}.legend i{display:inline-block;width:.9em;height:.9em;
margin-right:.3em;vertical-align:-.1em}
tr[data-to] td{cursor:pointer}td.q{text-align:right}
th.r{font-size:.8em;min-width:4.5em;max-width:8em;font-weight:normal}td.nm,th{white-space:nowrap}th.r{white-space:normal}
.q0{background:#ffcdd2}.q1{background:#ffe0b2}.q2{background:#fff9c4}.q3{background:#dcedc8}.q4{background:#a5d6a7}
details summary{cursor:pointer}pre{white-space:pre-wrap;background:#fafafa;border:1px solid #eee;padding:.5em;
font-size:.92em;margin:.3em 0}.headline{font-size:1.15em}.headline b{font-size:1.3em}
svg text{font-size:12px;fill:#212121}p.error{color:#6a1b9a;font-weight:bold}
"""

# One listener for the whole page (tables can number thousands): a click on a header of a sortable
# table sorts it (numbers numerically, blanks last); a click on a cell of a linked row follows the link.
SCRIPT = """
(function(){
function key(td){var t=(td&&(td.getAttribute('data-v')||td.textContent)||'').trim();
var n=parseFloat(t.replace(/[,%]/g,''));return isNaN(n)?t:n;}
function sort(th){var tb=th.closest('table'),i=th.cellIndex,body=tb.tBodies[0];
var rows=Array.prototype.slice.call(body.rows),asc=th.getAttribute('data-asc')!=='1';
th.setAttribute('data-asc',asc?'1':'0');
rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]);
if(x===''&&y!=='')return 1;if(y===''&&x!=='')return -1;
if(typeof x!==typeof y){x=String(x);y=String(y);}return (x<y?-1:x>y?1:0)*(asc?1:-1);});
rows.forEach(function(r){body.appendChild(r);});}
document.addEventListener('click',function(e){if(!e.target.closest)return;
var th=e.target.closest('table.sortable thead th');if(th){sort(th);return;}
var td=e.target.closest('tr[data-to] td');
if(td&&!e.target.closest('a')){location.hash=td.parentNode.getAttribute('data-to');}});
})();
"""


# --- charts and tables ----------------------------------------------------------------------------
def legend(statuses: Iterable[Status] = tuple(STATUS_COLOURS)) -> str:
    """A colour legend for the statuses (HTML)."""
    # inline styles: a notebook shows this without the page's stylesheet
    return '<div class="legend">' + "".join(
        f'<span style="display:inline-block;margin-right:1em"><i style="display:inline-block;width:.9em;'
        f'height:.9em;margin-right:.3em;vertical-align:-.1em;background:{STATUS_COLOURS[s]}"></i>'
        f"{bi(s.zh, s.value)}</span>" for s in statuses) + "</div>"


def stacked_bars(rows: Sequence[tuple[str, str, dict[Status, int], float | None]], *, label_width: int = 300,
                 bar_width: int = 420) -> str:
    """A horizontal bar chart (SVG): one bar per row, split by status, with the pass rate at its end.

    *rows* are ``(label, tooltip, counts by status, pass rate)``.
    """
    h = 20
    width = label_width + bar_width + 70
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h * len(rows) + 4}" '
           f'role="img" viewBox="0 0 {width} {h * len(rows) + 4}" font-size="12" font-family="sans-serif">']
    fit = max(4, label_width // 13)  # characters that fit the label column (a CJK character is ~12 px wide)
    for i, (label, tip, counts, rate) in enumerate(rows):
        y = i * h + 2
        total = sum(counts.values())
        short = label if len(label) <= fit else label[:fit - 1] + "…"
        out.append(f'<g><title>{esc(tip)}</title><text x="{label_width - 6}" y="{y + 14}" text-anchor="end">'
                   f"{esc(short)}</text>")
        x = float(label_width)
        for s in STATUS_COLOURS:
            n = counts.get(s, 0)
            if not n or not total:
                continue
            w = bar_width * n / total
            out.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{h - 5}" fill="{STATUS_COLOURS[s]}">'
                       f"<title>{esc(s.zh)} {esc(s.value)}: {n:,}</title></rect>")
            x += w
        out.append(f'<text x="{label_width + bar_width + 6}" y="{y + 14}">{pct(rate)}</text></g>')
    out.append("</svg>")
    return "".join(out)


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], *, numeric: Sequence[bool] | None = None,
          sortable: bool = True, cls: str = "") -> str:
    """An HTML table; *header* cells are HTML, row cells are escaped unless given as :class:`Raw`."""
    numeric = numeric or [False] * len(header)
    head = "".join(f'<th{" class=n" if n else ""}>{h}</th>' for h, n in zip(header, numeric))
    body = []
    for r in rows:
        body.append("<tr>" + "".join(f'<td{" class=n" if n else ""}>{_cell(v)}</td>' for v, n in zip(r, numeric))
                    + "</tr>")
    classes = " ".join(c for c in (cls, "sortable" if sortable else "") if c)
    return (f'<div class="scroll"><table class="{classes}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


class Raw(str):
    """Text that is already HTML (a table cell that must not be escaped)."""


def _cell(v: Any) -> str:
    if isinstance(v, Raw):
        return v
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, float):
        return _fmt_number(v)
    return esc(str(v))


# --- what the report says, gathered once ----------------------------------------------------------
class _Rules:
    """Per-rule facts from the report's public queries: the rule, its policy and its overall counts."""

    def __init__(self, report: "Report"):
        self.report = report
        pols = {p.id: p for p in report.policies}
        self.rule = {r.id: (r, pols[p.id]) for p in report.policies for r in p.rules}
        s = report.summary().columns
        self.order = list(s["rule"])
        self.counts = {rid: {st: int(s[st.value][i]) for st in Status if st.value in s}
                       for i, rid in enumerate(s["rule"])}
        self.rate = {rid: _nan_none(s["pass_rate"][i]) for i, rid in enumerate(s["rule"])}

    def title(self, rid: str) -> tuple[str, str]:
        r = self.rule[rid][0]
        return r.title_zh, r.title_en


def _nan_none(v: Any) -> float | None:
    return None if v is None or v != v else float(v)


def _pooled(counts: Iterable[dict[Status, int]]) -> tuple[dict[Status, int], float | None]:
    tot: dict[Status, int] = {}
    for c in counts:
        for s, n in c.items():
            tot[s] = tot.get(s, 0) + n
    p, f = tot.get(Status.PASS, 0), tot.get(Status.FAIL, 0)
    return tot, (p / (p + f) if p + f else None)


# --- the standard sections ------------------------------------------------------------------------
def header_section(report: "Report", rules: _Rules) -> Section:
    """What was evaluated: dataset counts per level, policies and versions, date, mode, versions, fingerprint."""
    import shequ_gov

    ds = report.dataset
    counts = ds.level_counts()
    total, rate = _pooled(rules.counts.values())
    levels = "、".join(f"{lv.zh} {n:,}" for lv, n in counts.items() if n)
    pols = "<br>".join(f"{esc(p.name_zh)} <span class=en>{esc(p.name_en)}</span> — <code>{esc(p.id)}</code> "
                       f"v{esc(p.version)} ({len(p.rules)} 条规则 rules)" for p in report.policies)
    mode = {"jurisdiction": ("辖区内评估", "jurisdiction"), "what-if": ("假设评估(全部社区)", "what-if")}
    mzh, men = mode.get(report.mode, (report.mode, report.mode))
    headline = (f'<p class="headline">{len(report):,} 项判定 <span class=en>verdicts</span> · '
                f'{Status.PASS.zh} <span class=en>pass</span> <b>{total.get(Status.PASS, 0):,}</b> · '
                f'{Status.FAIL.zh} <span class=en>fail</span> <b>{total.get(Status.FAIL, 0):,}</b> · '
                f'{Status.UNKNOWN.zh} <span class=en>unknown</span> <b>{total.get(Status.UNKNOWN, 0):,}</b> · '
                f'达标率 <span class=en>pass rate</span> <b id="pass-rate">{pct(rate)}</b></p>')
    kv = [
        (bi("数据集", "dataset"), f"{levels}<br><span class=en>" + ", ".join(
            f"{n:,} {lv.value}" for lv, n in counts.items() if n) + "</span>"),
        (bi("政策", "policies"), pols or "—"),
        (bi("评估日期", "as of"), esc(report.as_of.isoformat())),
        (bi("模式", "mode"), bi(mzh, men)),
        (bi("软件版本", "library version"), f"shequ-gov {esc(shequ_gov.__version__)}"),
        (bi("数据指纹", "dataset fingerprint"), f"<code>sha256:{esc(ds.fingerprint())}</code>"),
    ]
    body = headline + '<table class="kv">' + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in kv) + "</table>"
    return Section("header", "评估概况", "About this evaluation", body)


def overview_section(report: "Report", rules: _Rules) -> Section:
    """Per policy: verdict counts and pass rates by rule and by strength, as bar charts and a table."""
    parts = [legend()]
    for p in report.policies:
        rids = [r for r in rules.order if rules.rule[r][1].id == p.id]
        if not rids:
            continue
        parts.append(f'<h3 id="policy-{esc(p.id)}">{bi(p.name_zh, p.name_en)}</h3>')
        by_strength: dict[str, list[dict[Status, int]]] = {}
        for r in rids:
            by_strength.setdefault(rules.rule[r][0].strength, []).append(rules.counts[r])
        srows = []
        for s, cs in by_strength.items():
            c, rate = _pooled(cs)
            zh, en = STRENGTH_LABELS[s]
            srows.append((f"{zh} {en}", f"{zh} / {en}: {len(cs)} rules", c, rate))
        parts.append(f"<h4>{bi('按强度', 'by strength')}</h4>" + stacked_bars(srows))
        brows = [(rules.title(r)[0], f"{r} — {' / '.join(rules.title(r))}", rules.counts[r], rules.rate[r])
                 for r in rids]
        parts.append(f"<h4>{bi('按规则', 'by rule')}</h4>" + stacked_bars(brows))
        header = [bi("规则", "rule"), bi("名称", "title"), bi("层级", "level"), bi("强度", "strength")] + \
            [bi(s.zh, s.value) for s in STATUS_COLOURS] + [bi("达标率", "pass rate")]
        rows = []
        for r in rids:
            rule = rules.rule[r][0]
            link = Raw(f'<a href="#fail-{esc(r)}">{esc(r)}</a>') if rules.counts[r].get(Status.FAIL) else r
            rows.append([link, Raw(bi(*rules.title(r))), Raw(bi(rule.level.zh, rule.level.value)),
                         Raw(bi(*STRENGTH_LABELS[rule.strength]))]
                        + [rules.counts[r].get(s, 0) for s in STATUS_COLOURS] + [pct(rules.rate[r])])
        parts.append(table(header, rows, numeric=[False] * 4 + [True] * (len(STATUS_COLOURS) + 1)))
        for r in rids:
            if rules.counts[r].get(Status.ERROR):
                v = _verdicts(report, r)
                first = int(v["code"][np.flatnonzero(v["status"] == Status.ERROR.code)[0]])
                msg = report.finding(f"{first:012d}", r).message
                parts.append(f'<p class="error">{bi("规则出错", "rule failed")}: <code>{esc(r)}</code> — '
                             f"{esc(msg)} ({rules.counts[r][Status.ERROR]:,})</p>")
    return Section("overview", "各政策总览", "Overview by policy", "\n".join(parts))


def _quantile_class(rate: float) -> str:
    return "q" + str(min(4, int(rate * 5)))


def drilldown_section(report: "Report", rules: _Rules, *, max_listed: int = MAX_LISTED_REGIONS,
                      top_bottom: int = TOP_BOTTOM) -> Section:
    """Per policy, pass rates per region × rule at each level; a row leads to its region's children.

    A level with more than *max_listed* regions shows its *top_bottom* best and worst regions only.
    """
    parts = ['<p>点击地区查看下一级;单元格为达标率。<span class=en>Click a region to see the level below. Cells are '
             "pass rates (pass ÷ (pass + fail)); click a header to sort.</span></p>"]
    tables = {}
    for lv in REGION_LEVELS:
        cols = report.summary(level=lv).columns
        tables[lv] = {k: np.asarray(v, dtype=object if k in ("policy", "rule", "region", "region_name") else float)
                      for k, v in cols.items() if k in ("policy", "rule", "region", "region_name", "pass", "fail")}
    for p in report.policies:
        pivots = {}
        for lv in REGION_LEVELS:
            pv = _pivot(tables[lv], tables[lv]["policy"] == p.id)
            if pv is None:
                break
            pivots[lv] = pv
        if not pivots:
            continue
        parts.append(f'<h3 id="dd-{esc(p.id)}">{bi(p.name_zh, p.name_en)}</h3>')
        listed = {lv: len(pv["codes"]) <= max_listed for lv, pv in pivots.items()}
        for lv, pv in pivots.items():
            child = lv.child if lv.child in pivots else None
            link = f"dd-{p.id}-" if child is not None and listed[child] else None
            n = len(pv["codes"])
            parts.append(f'<h4 id="dd-{esc(p.id)}-{lv.value}">{bi(lv.zh, lv.value)} <span class=muted>({n:,})</span>'
                         "</h4>")
            if listed[lv]:
                groups: dict[str, list[int]] = {}
                digits = lv.parent.digits if lv.parent else 0
                for i, c in enumerate(pv["codes"]):
                    groups.setdefault(c[:digits], []).append(i)
                for k, idx in groups.items():
                    if lv.parent is not None:
                        pcode = k.ljust(12, "0")
                        up = f'<a href="#dd-{esc(p.id)}-{lv.parent.value}" title="上一级 up">↑</a>'
                        parts.append(f'<h5 id="dd-{esc(p.id)}-{pcode}">{esc(_region_name(report.dataset, pcode))} '
                                     f"<span class=muted>{pcode}</span> {up}</h5>")
                    parts.append(_region_table(pv, idx, rules, link))
            else:
                # rank only regions judged at least as often as the median one: a street of one
                # community is not the country's worst at 0 %
                floor = float(np.median(pv["judged"]))
                ranked = np.flatnonzero((pv["judged"] >= floor) & (pv["judged"] > 0))
                rate = pv["overall"][ranked]
                worst = ranked[np.lexsort((-pv["fail"][ranked], rate))][:top_bottom]
                best = ranked[np.lexsort((pv["fail"][ranked], -rate))][:top_bottom]
                parts.append(f"<p>{n:,} 个地区,仅列出达标率最低和最高的各 {top_bottom} 个(只比较判定数不少于中位数 "
                             f"{floor:,.0f} 的地区)。<span class=en>{n:,} regions: the {top_bottom} with the lowest "
                             f"and the {top_bottom} with the highest pass rate among those with at least the median number of "
                             f"PASS or FAIL verdicts ({floor:,.0f}); <code>Report.summary(level=…)</code> has them all."
                             "</span></p>")
                parts.append(f"<h5>{bi('达标率最低', 'lowest pass rate')}</h5>"
                             + _region_table(pv, worst.tolist(), rules, None, report.dataset))
                parts.append(f"<h5>{bi('达标率最高', 'highest pass rate')}</h5>"
                             + _region_table(pv, best.tolist(), rules, None, report.dataset))
    return Section("drilldown", "分地区达标率", "Pass rates by region", "\n".join(parts))


def _region_name(ds: "Dataset", code: str) -> str:
    """The name of a region or community by its 12-digit code ("" if absent), without building its object."""
    st, c = ds._st, int(code)
    row = st.community_row(c)
    if row >= 0:
        return str(st.communities["name"][row])
    row = st.region_row(c)
    return str(st.regions["name"][row]) if row >= 0 else ""


def _pivot(s: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, Any] | None:
    """Regions × rules pass rates from the rows *keep* of a ``summary(level=…)`` table."""
    if not keep.any():
        return None
    region, rule = s["region"][keep], s["rule"][keep]
    codes, ri = np.unique(region.astype(str), return_inverse=True)
    rids = list(dict.fromkeys(rule.tolist()))
    col = {r: j for j, r in enumerate(rids)}
    ci = np.array([col[r] for r in rule.tolist()], dtype=np.intp)
    p = np.zeros((len(codes), len(rids)))
    f = np.zeros((len(codes), len(rids)))
    p[ri, ci] = s["pass"][keep]
    f[ri, ci] = s["fail"][keep]
    names = np.empty(len(codes), dtype=object)
    names[ri] = s["region_name"][keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = p / (p + f)
        overall = p.sum(axis=1) / (p + f).sum(axis=1)
    return {"codes": codes.tolist(), "names": names.tolist(), "rules": rids, "rate": rate, "overall": overall,
            "fail": f.sum(axis=1).astype(np.int64), "judged": (p + f).sum(axis=1)}


def _region_table(pv: dict[str, Any], idx: Sequence[int], rules: _Rules, link: str | None,
                  ds: "Dataset | None" = None) -> str:
    """Rows *idx* of a pivot; with *link*, each row leads to the anchor ``link + code``.

    With *ds*, a column names the regions above each row's region (for lists out of their context).
    """
    rids = pv["rules"]
    within = "<th>" + bi("所属", "within") + "</th>" if ds is not None else ""
    head = ("<tr><th>" + bi("代码", "code") + "</th><th>" + bi("名称", "name") + f"</th>{within}<th class=n>"
            + bi("达标率", "overall") + "</th><th class=n>" + bi("未达标", "fails") + "</th>"
            + "".join(f'<th class="n r" title="{esc(r)} — {esc(" / ".join(rules.title(r)))}">'
                      f"{esc(rules.title(r)[0])}</th>" for r in rids) + "</tr>")
    rate, overall, fail = pv["rate"], pv["overall"], pv["fail"]
    body = []
    for i in idx:
        code, name = pv["codes"][i], pv["names"][i] or ""
        if link:
            tr, nm = f'<tr data-to="{link}{code}">', f'<a href="#{link}{code}">{esc(name)}</a>'
        else:
            tr, nm = "<tr>", esc(name)
        cells = ["<td></td>" if v != v else f'<td class="q {_quantile_class(v)}">{v * 100:.0f}%</td>'
                 for v in rate[i].tolist()]
        up = ""
        if ds is not None:
            lv = code_level(code)
            up = "<td class=nm>" + esc(" ".join(_region_name(ds, code[:d].ljust(12, "0"))
                                                for d in (2, 4, 6, 9)[:lv.depth])) + "</td>"
        body.append(f"{tr}<td>{code}</td><td class=nm>{nm}</td>{up}<td class=n>{pct(overall[i])}</td>"
                    f"<td class=n>{int(fail[i]):,}</td>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table class="sortable"><thead>{head}</thead><tbody>{"".join(body)}'
            "</tbody></table></div>")


def _verdicts(report: "Report", rule_id: str) -> dict[str, Any]:
    """One rule's verdicts as columns: codes, statuses and numbers of the units it judged.

    The one place the page reads a report's per-rule storage: the public ``findings`` table holds
    every rule's verdicts at once (29 M rows nationally), far more than a page about the worst of
    each rule needs.
    """
    v = report.verdicts(rule_id)
    nan = np.full(len(v), np.nan)
    col = lambda a: nan if a is None else np.asarray(a, float)  # noqa: E731
    return {"code": v.codes, "status": v.status, "measured": col(v.measured), "required": col(v.required),
            "shortfall": col(v.shortfall), "unit": _unit_label(v.unit)}


def failing_section(report: "Report", rules: _Rules, *, per_rule: int = MAX_FAILING_PER_RULE) -> Section:
    """For each rule, its failing units with their shortfall, the worst first, each with its explanation."""
    parts = [f"<p>每条规则最多列出 {per_rule} 个差距最大的单位;点击一行展开其解释。<span class=en>Up to {per_rule} "
             "units per rule, the largest shortfall first; open a row for its explanation (source sentence, "
             "parameters in force, inputs, computation).</span></p>"]
    any_fail = False
    for rid in rules.order:
        if not rules.counts[rid].get(Status.FAIL):
            continue
        any_fail = True
        v = _verdicts(report, rid)
        sel = np.flatnonzero(v["status"] == Status.FAIL.code)
        order = np.argsort(-np.nan_to_num(v["shortfall"][sel], nan=-np.inf), kind="stable")[:per_rule]
        rows = sel[order]
        u = f" {v['unit']}" if v["unit"] else ""
        zh, en = rules.title(rid)
        more = "" if len(sel) <= per_rule else f"; 显示 {per_rule} shown"
        parts.append(f'<h3 id="fail-{esc(rid)}"><code>{esc(rid)}</code> {bi(zh, en)} <span class=muted>'
                     f"({len(sel):,} 未达标 failing{more})</span></h3>")
        items = []
        for j in rows.tolist():
            code = f"{int(v['code'][j]):012d}"
            m, r, sh = (_nan_none(v[k][j]) for k in ("measured", "required", "shortfall"))
            nums = [f"{bi('实际', 'measured')} {_fmt_number(m)}{u}" if m is not None else "",
                    f"{bi('要求', 'required')} {_fmt_number(r)}{u}" if r is not None else "",
                    f"<b>{bi('差距', 'shortfall')} {_fmt_number(sh)}{u}</b>" if sh is not None else ""]
            items.append(f"<details><summary><code>{code}</code> {esc(_region_name(report.dataset, code))} — "
                         f"{' · '.join(n for n in nums if n)}</summary>"
                         f"<pre>{esc(report.explain(code, rid))}</pre></details>")
        parts.append("".join(items))
    if not any_fail:
        parts.append(f"<p>{bi('没有未达标的判定。', 'No FAIL verdicts.')}</p>")
    return Section("failing", "未达标单位", "Failing communities and regions", "\n".join(parts))


def indicators_section(report: "Report", rules: _Rules, *, max_listed: int = 40) -> Section | None:
    """Indicators and targets: the values measured here against the figures and targets the sources give."""
    rids = [r for r in rules.order if rules.rule[r][0].kind in ("indicator", "target")]
    if not rids:
        return None
    parts = []
    statuses = STATUSES
    for rid in rids:
        rule, pol = rules.rule[rid]
        v = _verdicts(report, rid)
        u = f" {v['unit']}" if v["unit"] else ""
        kind = {"indicator": ("指标", "indicator"), "target": ("目标", "target")}[rule.kind]
        parts.append(f"<h3><code>{esc(rid)}</code> {bi(rule.title_zh, rule.title_en)} <span class=muted>"
                     f"({bi(*kind)})</span></h3>")
        figures = []
        for name in rule.parameters:
            par = pol.parameters[name]
            e = par.entry(report.as_of)
            figures.append([Raw(f"<code>{esc(name)}</code>"), Raw(bi(par.description_zh, par.description_en)),
                            "—" if e is None else par.format(e.value), "" if e is None else str(e.citation)])
        if figures:
            parts.append(f"<h4>{bi('来源给出的数字与目标', 'figures and targets in the sources')}</h4>"
                         + table([bi("参数", "parameter"), bi("含义", "meaning"), bi("数值", "value"),
                                  bi("出处", "source")], figures, sortable=False))
        n = len(v["code"])
        known = v["measured"][~np.isnan(v["measured"])]
        parts.append(f"<h4>{bi('本次测得', 'measured here')}</h4>")
        if 0 < n <= max_listed:
            rows = []
            for j in range(n):
                code = f"{int(v['code'][j]):012d}"
                st = statuses[int(v["status"][j])]
                rows.append([code, _region_name(report.dataset, code), _nan_none(v["measured"][j]),
                             _nan_none(v["required"][j]), Raw(bi(st.zh, st.value))])
            parts.append(table([bi("代码", "code"), bi("名称", "name"), bi(f"测得值{u}", f"measured{u}"),
                                bi(f"要求{u}", f"required{u}"), bi("结论", "status")], rows,
                               numeric=[False, False, True, True, False]))
        elif len(known):
            q = np.quantile(known, [0.1, 0.5, 0.9])
            stats = [known.mean(), q[0], q[1], q[2]]
            parts.append(table([bi("单位数", "units"), bi("有数据", "with data"), bi("平均", "mean"),
                                bi("10% 分位", "p10"), bi("中位数", "median"), bi("90% 分位", "p90")],
                               [[n, len(known)] + [_fmt_number(float(x)) + u for x in stats]],
                               numeric=[True] * 6, sortable=False))
        else:
            parts.append(f"<p>{bi('无可用数据。', 'No data.')}</p>")
    return Section("indicators", "指标与目标", "Indicators and targets against the sources", "\n".join(parts))


def report_page(report: "Report", *, max_failing: int = MAX_FAILING_PER_RULE, max_listed: int = MAX_LISTED_REGIONS,
                timings: dict[str, float] | None = None) -> Page:
    """The standard page of a report: header, overview, drill-down, failing units, indicators.

    With *timings*, the seconds each part took are recorded there (the benchmark reads them).
    """
    import time

    clock = time.perf_counter()
    times = timings if timings is not None else {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        times[name] = round(now - clock, 3)
        clock = now

    rules = _Rules(report)
    lap("summary")
    page = Page("社区治理标准评估报告", "Community-governance standards report")
    for name, make in (("header", lambda: header_section(report, rules)),
                       ("overview", lambda: overview_section(report, rules)),
                       ("drilldown", lambda: drilldown_section(report, rules, max_listed=max_listed)),
                       ("failing", lambda: failing_section(report, rules, per_rule=max_failing)),
                       ("indicators", lambda: indicators_section(report, rules))):
        section = make()
        if section is not None:
            page.add(section)
        lap(name)
    return page


def report_html(report: "Report", path: str | os.PathLike[str] | None = None) -> str | None:
    """The report as one self-contained HTML page: the text when *path* is None, else written atomically."""
    page = report_page(report)
    if path is None:
        return page.render()
    page.write(path)
    return None


# --- notebooks ------------------------------------------------------------------------------------
def report_repr_html(report: "Report", *, worst: int = 8) -> str:
    """A compact notebook display of a report: the headline, and the rules with the lowest pass rate."""
    rules = _Rules(report)
    total, rate = _pooled(rules.counts.values())
    head = (f"<b>Report</b> · {esc(', '.join(p.id for p in report.policies) or '—')} · "
            f"{len(report.dataset):,} 社区 communities · {len(report):,} 判定 verdicts · "
            f"评估日期 as of {report.as_of} · {esc(report.mode)}<br>"
            f"{Status.PASS.zh} pass {total.get(Status.PASS, 0):,} · {Status.FAIL.zh} fail {total.get(Status.FAIL, 0):,} · "
            f"{Status.UNKNOWN.zh} unknown {total.get(Status.UNKNOWN, 0):,} · 达标率 pass rate <b>{pct(rate)}</b>")
    judged = [r for r in rules.order if rules.rate[r] is not None]
    judged.sort(key=lambda r: rules.rate[r])  # type: ignore[arg-type, return-value]
    rows = [(rules.title(r)[0], f"{r} — {' / '.join(rules.title(r))}", rules.counts[r], rules.rate[r])
            for r in judged[:worst]]
    chart = (f"<div>{bi('达标率最低的规则', 'rules with the lowest pass rate')}</div>" + legend()
             + stacked_bars(rows, label_width=220, bar_width=300)) if rows else ""
    return f"<div>{head}{chart}<div class=muted>Report.to_html(path) writes the full report.</div></div>"


def dataset_repr_html(ds: "Dataset", *, max_provinces: int = 40) -> str:
    """A compact notebook display of a dataset: counts per level, provinces and policies' jurisdictions covered."""
    counts = ds.level_counts()
    rows = [[Raw(bi(lv.zh, lv.value)), n] for lv, n in counts.items()]
    out = [f"<b>Dataset</b> · {len(ds):,} 社区 communities",
           table([bi("层级", "level"), bi("数量", "count")], rows, numeric=[False, True], sortable=False)]
    r = ds._st.regions
    prov = np.flatnonzero(r["depth"] == 0)
    if len(prov):
        per = np.bincount(ds._st.communities["code"] // 10**10, minlength=100)
        rows = [[f"{name} {code // 10**10:02d}", int(per[code // 10**10])] for code, name in
                zip(r["code"][prov][:max_provinces].tolist(), np.asarray(r["name"], dtype=object)[prov].tolist())]
        more = f"<div class=muted>… {len(prov) - max_provinces} more</div>" if len(prov) > max_provinces else ""
        out.append(table([bi("省级", "province"), bi("社区数", "communities")], rows, numeric=[False, True],
                         sortable=False) + more)
    cover = _jurisdictions(ds)
    if cover:
        out.append(f"<div>{bi('已安装政策的辖区覆盖', 'jurisdictions of installed policies covered')}</div>"
                   + table([bi("政策", "policy"), bi("辖区", "jurisdiction"), bi("社区数", "communities")], cover,
                           numeric=[False, False, True], sortable=False))
    return "<div>" + "".join(out) + "</div>"


def _jurisdictions(ds: "Dataset") -> list[list[Any]]:
    from . import policies

    out = []
    for row in policies.info():
        n = 0
        for code in row["jurisdiction"].split(","):
            if code:
                n += int(ds.within(code).sum())
        if n:
            out.append([f"{row['id']} {row['name_zh']}", row["jurisdiction"], n])
    return out
