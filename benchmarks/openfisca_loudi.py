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
           "operating_funds_min")
_EPS = 1e-9


def system(policy: Any) -> Any:
    """The OpenFisca tax-benefit system: one entity (the community), inputs, three rule variables."""
    from openfisca_core.entities import build_entity
    from openfisca_core.parameters import ParameterNode
    from openfisca_core.periods import DAY
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    from shequ_gov._vocab import AREA_TYPES

    area_types = list(AREA_TYPES)  # the keys of operating_funds_min, in the order of their codes
    community = build_entity(key="community", plural="communities", label="A community (社区)", is_person=True)
    tbs = TaxBenefitSystem([community])
    def node(name: str) -> dict:
        entries = policy.parameters[name].values
        if hasattr(entries[0].value, "by"):  # keyed by area type: one OpenFisca parameter per type
            return {k: {"values": {e.start.isoformat(): {"value": float(e.value[k])} for e in entries}}
                    for k in area_types}
        return {"values": {e.start.isoformat(): {"value": float(e.value)} for e in entries}}

    tbs.parameters = ParameterNode("", data={"loudi": {name: node(name) for name in _PARAMS}})

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
            tol = p.grid_tolerance

            def about(x: np.ndarray, size: float) -> np.ndarray:  # within size × (1 ± tol); 0 grids: never
                with np.errstate(invalid="ignore", divide="ignore"):
                    per = np.where(grids == 0, np.inf, x / grids)
                return np.minimum(ge(per, np.full(len(per), size * (1 - tol))), le(per, size * (1 + tol)))

            return np.maximum(about(hh, p.grid_households), about(pop, p.grid_population))

    class operating_status(Variable):
        value_type = int
        entity = community
        definition_period = DAY
        label = "社区工作经费 by area type (0 fail, 1 unknown, 2 pass)"

        def formula(c, period, parameters):
            p = parameters(period).loudi.operating_funds_min
            at = c("area_type_code", period)
            values = [getattr(p, k) for k in area_types]
            # a missing area type (NaN) could be any of them: pass above the largest, fail below the smallest
            low = np.select([at == i for i in range(len(values))], values, min(values))
            high = np.select([at == i for i in range(len(values))], values, max(values))
            funds = c("operating_funds", period).astype(float)
            surely, maybe = ge(funds, high), ge(funds, low)
            return np.where(surely == 2, 2, np.where(maybe == 0, 0, 1))

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
