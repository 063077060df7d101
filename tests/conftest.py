"""Shared fixtures: a small valid document, and the path of the real division list."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("default")

DIVISIONS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cn_divisions_2023.csv.gz"

EXAMPLE = {
    "schema": "shequ-gov/1",
    "regions": [
        {"code": "430000000000", "name": "湖南省", "level": "province"},
        {"code": "431300000000", "name": "娄底市", "level": "city", "parent": "430000000000",
         "average_annual_wage": "68000 yuan/year"},
        {"code": "431302000000", "name": "娄星区", "level": "district", "parent": "431300000000"},
        {"code": "431302001000", "name": "乐坪街道", "level": "street", "parent": "431302000000"},
    ],
    "communities": [
        {"code": "431302001001", "name": "示例社区", "parent": "431302001000",
         "area_type": "central_urban", "households": 1500, "population": 4300, "new_build": False,
         "facilities": [{"kind": "service_housing", "area": "620 m**2"},
                        {"kind": "service_center", "area": "80 m**2"},
                        {"kind": "mediation_room"}],
         "plaques": ["party_org", "residents_committee", "service_center"],
         "bodies": ["mediation_committee", "residents_council"],
         "staff": [{"roles": ["secretary", "director"], "monthly_pay": "1600 yuan/month",
                    "certified_social_worker": True, "post": 1, "grade": 9,
                    "ratings": {"2016": "competent", "2017": "competent"}}],
         "tasks": [{"kind": "urban_management", "role": "responsible", "funded": False,
                    "on_access_list": False, "legal_basis": False}],
         "funding": {"operating": "26 万元/year", "benefit_projects": "200000 yuan/year"},
         "burden": {"ledgers": 20, "certificates": 18, "cancelled_certificates_issued": 0,
                    "inspections": 8, "one_vote_veto_items": 0,
                    "separate_department_assessments": 0, "admin_work_share": 0.6},
         "grids": 7},
        {"code": "431302001002", "name": "空白社区", "parent": "431302001000"},
    ],
}


@pytest.fixture
def example_doc() -> dict:
    return copy.deepcopy(EXAMPLE)


@pytest.fixture(scope="session")
def china(divisions_path):
    """The real division list of China as a Dataset (loaded once per test session)."""
    import shequ_gov as sg

    return sg.Dataset.read(divisions_path)


@pytest.fixture(scope="session")
def divisions_path() -> Path:
    if not DIVISIONS.exists():
        pytest.fail(f"the real division list is expected at {DIVISIONS} (../shared/data beside the checkout)")
    return DIVISIONS


def _register_toy_policy():
    """The toy policy of tests/data is registered for the case files under tests/cases."""
    import sys

    import shequ_gov as sg

    sys.path.insert(0, str(Path(__file__).parent))
    import toy_rules

    policy = sg.Policy.from_toml(Path(__file__).parent / "data" / "toy_policy.toml", [toy_rules])
    sg.policies.register(policy, replace=True)
    return policy


TOY = _register_toy_policy()


@pytest.fixture
def toy_policy():
    return TOY
