"""Validation: every problem found at once, each with its place and what was expected."""

import copy
import gzip
import json

import pytest
from hypothesis import given, strategies as st

import shequ_gov as sg
from shequ_gov.testing import dataset_documents


def problems_of(doc):
    with pytest.raises(sg.ValidationError) as info:
        sg.Dataset.from_dict(doc)
    return info.value.problems


class TestDocument:
    def test_wrong_schema_version(self, example_doc):
        """A document of another schema version is refused, naming the version expected."""
        example_doc["schema"] = "shequ-gov/0"
        assert problems_of(example_doc) == [("schema", "expected 'shequ-gov/1', got 'shequ-gov/0'")]

    def test_malformed_json_names_line_and_column(self, tmp_path):
        """A broken file is reported with its path, line and column."""
        p = tmp_path / "bad.json"
        p.write_text('{"schema": "shequ-gov/1",\n "regions": [,]}')
        with pytest.raises(sg.ValidationError) as info:
            sg.Dataset.read(p)
        (loc, msg), = info.value.problems
        assert loc == f"{p}:2:14" and "malformed JSON" in msg

    def test_broken_gzip(self, tmp_path):
        """A file that is not gzip although named .gz is a clear error."""
        p = tmp_path / "bad.json.gz"
        p.write_bytes(b"not gzip")
        with pytest.raises(sg.ValidationError, match="cannot read"):
            sg.Dataset.read(p)

    def test_missing_file(self, tmp_path):
        """A missing file is a ValidationError naming the path."""
        with pytest.raises(sg.ValidationError, match="no such file"):
            sg.Dataset.read(tmp_path / "nope.json")

    def test_all_problems_at_once(self, example_doc):
        """Several problems in different places are all reported together."""
        c = example_doc["communities"][0]
        c["households"] = -3
        c["facilities"][0]["kind"] = "servce_housing"
        c["funding"]["operating"] = "20 m**2"
        example_doc["regions"][2]["parent"] = "430000000000"
        locs = [loc for loc, _ in problems_of(example_doc)]
        assert locs == [
            "communities[0] (431302001001).households",
            "communities[0] (431302001001).facilities[0].kind",
            "communities[0] (431302001001).funding.operating",
            "regions[2] (431302000000).parent",
        ]


class TestHierarchy:
    def test_duplicate_code(self, example_doc):
        """A code used twice is reported at both places."""
        example_doc["communities"].append(copy.deepcopy(example_doc["communities"][0]))
        (loc, msg), = problems_of(example_doc)
        assert loc == "communities[2] (431302001001)" and "duplicate code" in msg and "communities[0]" in msg

    def test_unknown_parent(self, example_doc):
        """A parent that is not in the dataset is named."""
        example_doc["communities"][0]["code"] = "431302009001"
        example_doc["communities"][0]["parent"] = "431302009000"
        (loc, msg), = problems_of(example_doc)
        assert loc.endswith(".parent") and "unknown parent" in msg and "431302009000" in msg

    def test_level_skipped(self, example_doc):
        """A community hung directly under a district skips the street level."""
        example_doc["communities"][0]["parent"] = "431302000000"
        (loc, msg), = problems_of(example_doc)
        assert "level skipped" in msg and "must be a street" in msg

    def test_code_outside_parent_prefix(self, example_doc):
        """A child whose code does not start with its parent's digits is refused."""
        example_doc["regions"].append({"code": "431303000000", "name": "涟源", "parent": "431300000000"})
        example_doc["regions"].append({"code": "431303001000", "name": "某街道", "parent": "431302000000"})
        (loc, msg), = problems_of(example_doc)
        assert loc == "regions[5] (431303001000).parent" and "outside its parent's prefix" in msg

    def test_cycle(self, example_doc):
        """Parents that point round in a circle are reported as a cycle."""
        example_doc["regions"][0]["parent"] = "431300000000"
        msgs = [m for _, m in problems_of(example_doc)]
        assert any(m.startswith("cycle: 430000000000 → 431300000000 → 430000000000") for m in msgs)

    def test_level_contradicting_digits(self, example_doc):
        """A stated level that the code's digits contradict is refused."""
        example_doc["regions"][1]["level"] = "district"
        (loc, msg), = problems_of(example_doc)
        assert loc == "regions[1] (431300000000).level" and "a city" in msg


class TestValues:
    @pytest.mark.parametrize("path, value, loc_end, words", [
        (("households",), -1, ".households", "negative"),
        (("households",), 12.5, ".households", "whole number"),
        (("grids",), "seven", ".grids", "expected"),
        (("area_type",), "centre_urban", ".area_type", "did you mean 'central_urban'"),
        (("burden", "admin_work_share"), 1.5, ".burden.admin_work_share", "fraction"),
        (("funding", "operating"), "3 m**2", ".funding.operating", "wrong dimension"),
        (("new_build",), "yes", ".new_build", "true or false"),
        (("facilities", 0, "area"), "6 yuan", ".facilities[0].area", "wrong dimension"),
        (("staff", 0, "roles"), ["secretery"], ".staff[0].roles", "did you mean 'secretary'"),
        (("staff", 0, "grade"), 19, ".staff[0].grade", "from 0 to 18"),
        (("tasks", 0, "role"), "responsable", ".tasks[0].role", "did you mean 'responsible'"),
        (("bodies", 0), "mediation_comittee", ".bodies[0]", "did you mean 'mediation_committee'"),
        (("colour",), "red", ".colour", "unknown field 'colour'"),
    ])
    def test_bad_value_is_named(self, example_doc, path, value, loc_end, words):
        """A bad value is reported at its exact place with what was expected."""
        target = example_doc["communities"][0]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        (loc, msg), = problems_of(example_doc)
        assert loc == "communities[0] (431302001001)" + loc_end
        assert words in msg


def _leaves(doc, path=()):
    """Every (path, value) of scalar leaves below communities and regions."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _leaves(v, path + (i,))
    else:
        yield path, doc


_BAD_BY_KEY = {
    "households": -5, "population": 1.5, "grids": -1, "area_type": "suburb", "new_build": "no",
    "kind": "ghost_room", "area": "5 yuan", "monthly_pay": "3 m**2", "post": 7, "grade": 40,
    "certified_social_worker": "yes", "role": "boss", "funded": 1, "on_access_list": "n", "legal_basis": 0,
    "operating": "1 km", "benefit_projects": -1, "ledgers": 2.5, "admin_work_share": 3,
    "residents": -0.1, "appeal_period": "maybe", "average_annual_wage": "1 m**2", "social_work_agencies": -2,
    "incubation_base": "yes", "certificates": -1, "inspections": "many", "one_vote_veto_items": -1,
    "separate_department_assessments": 0.5, "cancelled_certificates_issued": -1,
    "non_retained_certificates_issued": -1, "street": 2, "departments": "x", "group_leader_subsidy": "5 m**2",
    "convenience_minutes": "3 km", "convenience_distance": "15 minute", "code": "12x",
}


def _loc_of(doc, path):
    """The location string the loader uses for *path* in *doc*."""
    section, i = path[0], path[1]
    code = doc[section][i].get("code")
    head = f"{section}[{i}] ({code})"
    rest = ""
    for p in path[2:]:
        rest += f"[{p}]" if isinstance(p, int) else f".{p}"
    return head, rest


@given(dataset_documents(), st.data())
def test_every_single_invalid_mutation_raises_naming_the_mutated_place(doc, data):
    """Law: replacing any one leaf with an invalid value raises ValidationError at that place."""
    candidates = [(p, v) for p, v in _leaves(doc) if p[0] in ("regions", "communities") and len(p) > 2
                  and (p[-1] in _BAD_BY_KEY or (len(p) > 3 and p[-2] in ("plaques", "unified", "bodies", "roles")))]
    if not candidates:
        return
    path, _ = data.draw(st.sampled_from(candidates))
    bad_doc = copy.deepcopy(doc)
    target = bad_doc
    for k in path[:-1]:
        target = target[k]
    key = path[-1]
    if isinstance(key, int):  # an item of a tag list or of roles
        target[key] = "no_such_key" if path[-2] != "plaques" else 12
    elif key == "kind" and "tasks" in path:
        target[key] = 42  # task kinds are an open vocabulary: any non-empty string is valid
    else:
        target[key] = _BAD_BY_KEY[key]
    with pytest.raises(sg.ValidationError) as info:
        sg.Dataset.from_dict(bad_doc)
    head, rest = _loc_of(doc, path)
    if path[-1] == "code":
        head = head.split(" (")[0]
        rest = ".code"
    locs = [loc for loc, _ in info.value.problems]
    if isinstance(key, int) and path[-2] == "roles":
        rest = rest.rsplit("[", 1)[0]  # roles problems are reported on the roles list
    assert any(loc == head + rest for loc in locs), (head + rest, locs)


@given(dataset_documents())
def test_json_round_trip_of_any_valid_dataset_is_lossless(doc):
    """Law: Dataset → JSON → Dataset gives an equal dataset, and JSON → Dataset → JSON is stable."""
    ds = sg.Dataset.from_dict(doc)
    text = json.dumps(ds.to_dict(), ensure_ascii=False)
    again = sg.Dataset.from_dict(json.loads(text))
    assert again == ds
    assert json.dumps(again.to_dict(), ensure_ascii=False) == text


@given(dataset_documents(), st.sampled_from([("m**2", 1.0), ("平方米", 1.0), ("km**2", 1e-6)]))
def test_the_same_area_in_any_unit_gives_an_equal_dataset(doc, unit):
    """Law: areas written in m**2, 平方米 or km**2 load to equal datasets."""
    name, factor = unit
    rewritten = copy.deepcopy(doc)
    for c in rewritten["communities"]:
        for f in c.get("facilities", []):
            if "area" in f:
                f["area"] = f"{f['area'] * factor!r} {name}"
    assert sg.Dataset.from_dict(rewritten) == sg.Dataset.from_dict(doc)


def test_nothing_half_built(example_doc):
    """A failed build leaves no dataset behind and does not touch the input."""
    example_doc["communities"][0]["households"] = -1
    before = copy.deepcopy(example_doc)
    with pytest.raises(sg.ValidationError):
        sg.Dataset.from_dict(example_doc)
    assert example_doc == before


def test_validation_error_str_lists_problems(example_doc):
    """The message lists each problem with its place."""
    example_doc["communities"][0]["grids"] = -2
    with pytest.raises(sg.ValidationError, match=r"1 validation problem:\n  - communities\[0\] \(431302001001\)\.grids"):
        sg.Dataset.from_dict(example_doc)


def test_csv_problems_name_row_and_column(tmp_path):
    """A bad CSV names the file, row and column of each problem, all at once."""
    p = tmp_path / "d.csv.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        f.write("code,name,level,parent_code,households\n")
        f.write("430000000000,湖南省,province,,\n")
        f.write("431300000000,娄底市,district,430000000000,\n")
        f.write("431300001001,,community,431300001000,-4\n")
    with pytest.raises(sg.ValidationError) as info:
        sg.Dataset.read(p)
    locs = sorted(loc for loc, _ in info.value.problems)
    assert locs == [f"{p}:3:level", f"{p}:4.parent", f"{p}:4:households", f"{p}:4:name"]


@pytest.mark.parametrize("path, value", [
    (("tasks", 0, "funded"), 1), (("tasks", 0, "role"), ["responsible"]), (("facilities", 0, "kind"), ["office"]),
    (("staff", 0, "certified_social_worker"), 0), (("staff", 0, "ratings", "2016"), ["competent"]),
    (("staff", 0, "post"), True),
])
def test_values_that_only_look_right_are_refused(example_doc, path, value):
    """1 is not true, a list is not a key: each is a problem at its place, never a crash."""
    target = example_doc["communities"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    (loc, msg), = problems_of(example_doc)
    assert loc.startswith("communities[0] (431302001001)." + path[0])
