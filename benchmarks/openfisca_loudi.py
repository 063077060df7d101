"""Three Loudi rules written in OpenFisca (openfisca-core's public API), the optional peer benchmark.

Entities, variables with formulas and dated parameters, as an OpenFisca user would write them:
``loudi.grid.size``, ``loudi.funding.operating`` and ``loudi.funding.benefit_projects`` over the
same communities as the engine (community-level inputs fed with ``set_input``). Each rule's
variable is a status code (0 fail, 1 unknown, 2 pass); the rules' area types are applied the same
way as in ``numpy_loudi``. Needs ``pip install -e '.[peers]'``; ``make bench`` installs it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

RULE_VARIABLES = {"loudi.grid.size": "grid_size_status", "loudi.funding.operating": "operating_status",
                  "loudi.funding.benefit_projects": "benefit_projects_status"}
_PARAMS = ("grid_households", "grid_population", "grid_tolerance", "benefit_project_funds_min",
           "operating_funds_min_rural", "operating_funds_min_township", "operating_funds_min_urban",
           "operating_funds_min_central_urban")
_EPS = 1e-9


def system(policy: Any) -> Any:
    """The OpenFisca tax-benefit system: one entity (the community), inputs, three rule variables."""
    from openfisca_core.entities import build_entity
    from openfisca_core.parameters import ParameterNode
    from openfisca_core.periods import DAY
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    community = build_entity(key="community", plural="communities", label="A community (社区)", is_person=True)
    tbs = TaxBenefitSystem([community])
    tbs.parameters = ParameterNode("", data={"loudi": {
        name: {"values": {e.start.isoformat(): {"value": float(e.value)} for e in policy.parameters[name].values}}
        for name in _PARAMS}})

    def inp(name: str) -> type:
        return type(name, (Variable,), {"value_type": float, "entity": community, "definition_period": DAY,
                                         "label": name})

    inputs = [inp(n) for n in ("households", "population", "grids", "operating_funds", "benefit_funds",
                                "area_type_code")]

    def ge(m: np.ndarray, r: np.ndarray) -> np.ndarray:
        ok = m >= r - _EPS * np.maximum(1.0, np.abs(r))
        return np.where(np.isnan(m) | np.isnan(r), 1, np.where(ok, 2, 0))

    def le(m: np.ndarray, r: Any) -> np.ndarray:
        ok = m <= r + _EPS * np.maximum(1.0, np.abs(r))
        return np.where(np.isnan(m), 1, np.where(ok, 2, 0))

    class grid_size_status(Variable):
        value_type = int
        entity = community
        definition_period = DAY
        label = "网格规模约200户或600人 (0 fail, 1 unknown, 2 pass)"

        def formula(c, period, parameters):
            p = parameters(period).loudi
            hh, pop, grids = (c(v, period).astype(float) for v in ("households", "population", "grids"))
            with np.errstate(invalid="ignore", divide="ignore"):
                pos = np.where(grids > 0, 2, 0)
                x = np.where(np.isnan(hh) | np.isnan(grids), 1,
                             np.minimum(pos, le(hh / grids, p.grid_households * (1 + p.grid_tolerance))))
                y = np.where(np.isnan(pop) | np.isnan(grids), 1,
                             np.minimum(pos, le(pop / grids, p.grid_population * (1 + p.grid_tolerance))))
            return np.maximum(x, y)

    class operating_status(Variable):
        value_type = int
        entity = community
        definition_period = DAY
        label = "社区工作经费 by area type (0 fail, 1 unknown, 2 pass)"

        def formula(c, period, parameters):
            p = parameters(period).loudi
            at = c("area_type_code", period)
            need = np.select([at == 0, at == 1, at == 2, at == 3],
                             [p.operating_funds_min_central_urban, p.operating_funds_min_urban,
                              p.operating_funds_min_township, p.operating_funds_min_rural], np.nan)
            return ge(c("operating_funds", period).astype(float), need)

    class benefit_projects_status(Variable):
        value_type = int
        entity = community
        definition_period = DAY
        label = "社区惠民项目资金 (0 fail, 1 unknown, 2 pass)"

        def formula(c, period, parameters):
            p = parameters(period).loudi
            return ge(c("benefit_funds", period).astype(float), np.full(c.count, p.benefit_project_funds_min))

    tbs.add_variables(*inputs, grid_size_status, operating_status, benefit_projects_status)
    return tbs


def evaluate_openfisca(tbs: Any, ds: Any, policy: Any, as_of: Any) -> dict[str, np.ndarray]:
    """Status codes per rule (0 fail, 1 unknown, 2 pass, 3 not applicable), every community (what-if)."""
    from openfisca_core.simulations import SimulationBuilder

    from shequ_gov._vocab import AREA_TYPES

    cm = ds._st.communities
    n = ds._st.n_communities
    sim = SimulationBuilder().build_default_simulation(tbs, count=n)
    day = as_of.isoformat()
    at = cm["area_type"].astype(float)
    at[at < 0] = np.nan
    for var, col in (("households", "households"), ("population", "population"), ("grids", "grids"),
                     ("operating_funds", "funding.operating"), ("benefit_funds", "funding.benefit_projects")):
        sim.set_input(var, day, np.asarray(cm[col], float))
    sim.set_input("area_type_code", day, at)
    keys = list(AREA_TYPES)
    out = {}
    for rule in policy.rules:
        var = RULE_VARIABLES.get(rule.id)
        if var is None:
            continue
        v = np.asarray(sim.calculate(var, day), np.int8)
        if rule.area_types:
            lut = np.array([k in {t.value for t in rule.area_types} for k in keys] + [False])
            code = cm["area_type"]
            v = np.where(code < 0, 1, np.where(lut[code], v, 3)).astype(np.int8)
        out[rule.id] = v
    return out
