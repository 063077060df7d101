"""Draw the sweep plot of the how-to "Ask what-if questions" (docs/images/sweep_loudi.svg).

Run from the repository root: ``.venv/bin/python docs/examples/plot_sweep.py``. It sweeps Loudi's
minimum area of public service housing over a synthetic province (what-if mode) and writes the
SVG line chart that `shequ-gov sweep --format html` draws (no plotting library, nothing fetched). The output is the same for
the same library version: the data are seeded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import shequ_gov as sg
from shequ_gov._scenario import line_chart

OUT = Path(__file__).resolve().parents[1] / "images" / "sweep_loudi.svg"
PARAM = "service_housing_min_area"
RULE = "loudi.facilities.service_housing_area"


def main() -> int:
    data = sg.synth.generate("province", seed=0)
    whole = sg.sweep(data, "loudi", PARAM, "300..600 step 25 m**2", as_of="2024-06-30", mode="what-if")
    xs = whole.columns["value"]
    series = {"all / 全部": list(whole.columns["pass_rate"])}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(line_chart(xs, series, title=f"{RULE} over a synthetic province (what-if)",
                                  xlabel="service_housing_min_area (m²) — Loudi's own value: 400",
                                  ylabel="pass rate / 达标率"), encoding="utf-8")
    print(f"wrote {OUT} ({len(data):,} communities)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
