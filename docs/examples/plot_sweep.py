"""Draw the sweep plot of the how-to "Ask what-if questions" (docs/images/sweep_loudi.svg).

Run from the repository root: ``.venv/bin/python docs/examples/plot_sweep.py``. It sweeps Loudi's
minimum area of public service housing over a synthetic province (what-if mode) and writes a
plain SVG line chart (no plotting library needed, nothing fetched). The output is the same for
the same library version: the data are seeded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import shequ_gov as sg

OUT = Path(__file__).resolve().parents[1] / "images" / "sweep_loudi.svg"
PARAM = "service_housing_min_area"
RULE = "loudi.facilities.service_housing_area"


def svg_line_chart(xs: list[float], series: dict[str, list[float]], *, title: str, xlabel: str,
                   ylabel: str) -> str:
    """A small SVG line chart of *series* (name → y values in 0..1) over *xs*."""
    w, h, left, right, top, bottom = 640, 380, 64, 150, 40, 56
    pw, ph = w - left - right, h - top - bottom
    x0, x1 = min(xs), max(xs)
    sx = lambda x: left + (x - x0) / (x1 - x0) * pw  # noqa: E731
    sy = lambda y: top + (1 - y) * ph  # noqa: E731
    colours = ["#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
           'font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="22" text-anchor="middle" font-size="14">{title}</text>']
    for i in range(6):
        y = i / 5
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{y:.0%}</text>')
    for x in xs[::2]:
        out.append(f'<text x="{sx(x):.1f}" y="{top + ph + 18}" text-anchor="middle">{x:g}</text>')
    out.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#333"/>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="#333"/>')
    out.append(f'<text x="{left + pw / 2}" y="{h - 14}" text-anchor="middle">{xlabel}</text>')
    out.append(f'<text transform="translate(16 {top + ph / 2}) rotate(-90)" text-anchor="middle">{ylabel}</text>')
    for k, (name, ys) in enumerate(series.items()):
        c = colours[k % len(colours)]
        pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>')
        out += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{c}"/>' for x, y in zip(xs, ys)]
        ly = top + 14 + 18 * k
        out.append(f'<line x1="{left + pw + 12}" x2="{left + pw + 32}" y1="{ly}" y2="{ly}" stroke="{c}" '
                   'stroke-width="2"/>')
        out.append(f'<text x="{left + pw + 38}" y="{ly + 4}">{name}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> int:
    data = sg.synth.generate("province", seed=0)
    whole = sg.sweep(data, "loudi", PARAM, "300..600 step 25 m**2", as_of="2024-06-30", mode="what-if")
    xs = whole.columns["value"]
    series = {"all / 全部": list(whole.columns["pass_rate"])}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(svg_line_chart(xs, series, title=f"{RULE} over a synthetic province (what-if)",
                                  xlabel="service_housing_min_area (m²) — Loudi's own value: 400",
                                  ylabel="pass rate / 达标率"), encoding="utf-8")
    print(f"wrote {OUT} ({len(data):,} communities)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
