"""The grid rule: communities divided into network units (网络单元) of about 200 households or 600 people."""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, between, condition


@formula("loudi.grid.size")
def size(c: CommunityInputs, p: Parameters) -> Outcome:
    """按200戶或600人左右的規模將社區劃分為若干個網絡單元 (婁民復字〔2018〕10號).

    Passes when households per grid are within ``grid_households`` × (1 ± ``grid_tolerance``)
    OR people per grid within ``grid_population`` × (1 ± ``grid_tolerance``), in Kleene logic:
    one side known true is enough, both sides must be known false to fail.

    Interpretation (second reading): 左右 ("about") bounds a grid's size on both sides — a grid
    far smaller than 200 households / 600 people is not "about" that size either; the tolerance
    is an open reading, a documented parameter (0.25 by default), not a number of the source.
    網絡單元 are the community's grids; 或 makes either size enough. A community with 0 grids has
    not been divided at all and fails whatever its size; its measured value is left empty.
    """
    households = c.number("households")
    population = c.number("population")
    grids = c.number("grids")
    undivided = grids == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        hh_per_grid = np.where(undivided, np.inf, households / grids)
        pp_per_grid = np.where(undivided, np.inf, population / grids)
    tol = p.grid_tolerance
    hh_low, hh_high = p.grid_households * (1 - tol), p.grid_households * (1 + tol)
    pp_low, pp_high = p.grid_population * (1 - tol), p.grid_population * (1 + tol)
    result = between(hh_per_grid, hh_low, hh_high).result | between(pp_per_grid, pp_low, pp_high).result
    shown_hh = np.where(undivided, np.nan, hh_per_grid)
    shown_pp = np.where(undivided, np.nan, pp_per_grid)
    return condition(
        result, measured=shown_hh, unit="household",
        inputs={
            "households / 户数": (households, "household"),
            "resident population / 常住人口": (population, "person"),
            "grids / 网格数": (grids, ""),
            "households per grid / 每格户数": (shown_hh, "household"),
            "people per grid / 每格人数": (shown_pp, "person"),
        },
        note=(f"households per grid within {hh_low:g}–{hh_high:g} or people per grid within {pp_low:g}–{pp_high:g} "
              f"({p.grid_households:g} households or {p.grid_population:g} people, ±{tol:.0%} for 左右); "
              "0 grids fails / 每格户数或人数在“左右”范围内"),
    )
