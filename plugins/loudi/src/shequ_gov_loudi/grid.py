"""The grid rule: communities divided into network units (网络单元) of about 200 households or 600 people."""

from __future__ import annotations

import numpy as np

from shequ_gov import formula
from shequ_gov.rules import CommunityInputs, Outcome, Parameters, compare, condition



@formula("loudi.grid.size", increasing=["grids"], decreasing=["households", "population"])
def size(c: CommunityInputs, p: Parameters) -> Outcome:
    """按200戶或600人左右的規模將社區劃分為若干個網絡單元 (婁民復字〔2018〕10號).

    Passes when households per grid ≤ ``grid_households`` × (1 + ``grid_tolerance``) OR people
    per grid ≤ ``grid_population`` × (1 + ``grid_tolerance``), in Kleene logic: one side known
    true is enough, both sides must be known false to fail.

    Interpretation: 網絡單元 are the community's grids; 左右 ("about") is read as an upper bound
    with the tolerance parameter (the project's figure, not the source's); 或 makes either size
    enough. A community with 0 grids has not been divided at all and fails whatever its size
    (both per-grid sizes are infinite); its measured value is left empty.
    """
    households = c.number("households")
    population = c.number("population")
    grids = c.number("grids")
    undivided = grids == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        hh_per_grid = np.where(undivided, np.inf, households / grids)
        pp_per_grid = np.where(undivided, np.inf, population / grids)
    hh_limit = p.grid_households * (1 + p.grid_tolerance)
    pp_limit = p.grid_population * (1 + p.grid_tolerance)
    result = compare(hh_per_grid, hh_limit, "<=") | compare(pp_per_grid, pp_limit, "<=")
    shown_hh = np.where(undivided, np.nan, hh_per_grid)
    shown_pp = np.where(undivided, np.nan, pp_per_grid)
    return condition(
        result, measured=shown_hh, required=hh_limit, unit="household",
        inputs={
            "households / 户数": (households, "household"),
            "resident population / 常住人口": (population, "person"),
            "grids / 网格数": (grids, ""),
            "households per grid / 每格户数": (shown_hh, "household"),
            "people per grid / 每格人数": (shown_pp, "person"),
        },
        note=(f"households per grid ≤ {hh_limit:g} or people per grid ≤ {pp_limit:g} "
              f"({p.grid_households:g} households or {p.grid_population:g} people, "
              f"+{p.grid_tolerance:.0%} for 左右); 0 grids fails"),
    )
