"""The stable public API cannot drift by accident."""

import shequ_gov


def test_all_is_exactly_the_sorted_public_names():
    """__all__ lists the public names, sorted, and nothing public is left out."""
    public = {n for n in dir(shequ_gov) if not n.startswith("_") and n != "annotations"
              and not _is_submodule_only(n)}
    assert shequ_gov.__all__ == sorted(shequ_gov.__all__)
    assert len(set(shequ_gov.__all__)) == len(shequ_gov.__all__)
    assert public == set(shequ_gov.__all__) - {"__version__"}


def _is_submodule_only(name: str) -> bool:
    # private helper modules imported as a side effect are not API; public submodules are in __all__
    import types

    obj = getattr(shequ_gov, name)
    return isinstance(obj, types.ModuleType) and name not in shequ_gov.__all__


def test_design_contract_names_are_exported():
    """Every name of the design's stable API is importable from shequ_gov."""
    contract = {"__version__", "Level", "AreaType", "Status", "Region", "Community", "Facility", "StaffMember",
                "Task", "ureg", "Quantity", "Dataset", "ValidationError"}
    assert contract <= set(shequ_gov.__all__)
    for name in contract:
        assert getattr(shequ_gov, name) is not None


def test_version_is_a_string():
    """The version comes from the installed distribution metadata."""
    assert isinstance(shequ_gov.__version__, str) and shequ_gov.__version__[0].isdigit()


def test_enums_have_the_design_keys():
    """Level, AreaType and Status use the interchange keys as values, with bilingual labels."""
    assert [m.value for m in shequ_gov.Level] == ["province", "city", "district", "street", "community"]
    assert [m.value for m in shequ_gov.AreaType] == ["central_urban", "urban", "township", "rural"]
    assert {"pass", "fail", "not_applicable", "unknown", "error"} <= {m.value for m in shequ_gov.Status}
    assert shequ_gov.AreaType.CENTRAL_URBAN.zh == "中心城区社区"
    assert shequ_gov.Status.PASS.label == "达标 / pass"
