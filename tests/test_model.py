"""The attrs domain model: frozen, converting, validating, missing distinct from zero."""

import attrs
import pytest

import shequ_gov as sg


class TestCommunity:
    def test_converts_units_to_canonical_quantities(self):
        """Unit strings become quantities in the field's canonical unit."""
        c = sg.Community("431302001001", "示例社区", funding={"operating": "26 万元/year"},
                         facilities=[{"kind": "service_housing", "area": "0.00062 km**2"}])
        assert c.funding.operating == sg.Quantity(260_000, "yuan/year")
        assert c.facilities[0].area.to("m**2").magnitude == pytest.approx(620)

    def test_is_frozen_and_hashable(self):
        """Objects cannot be changed in place; attrs.evolve makes a changed copy."""
        c = sg.Community("431302001001", "示例社区", households=10)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            c.households = 11
        assert attrs.evolve(c, households=11).households == 11
        assert hash(c) == hash(sg.Community("431302001001", "示例社区", households=10))

    def test_missing_is_not_zero_and_empty_is_an_answer(self):
        """None means missing; an empty tuple means none."""
        c = sg.Community("431302001001", "x", households=0, staff=[])
        assert c.households == 0 and c.population is None
        assert c.staff == () and c.tasks is None

    def test_parent_is_derived_and_checked(self):
        """The parent follows from the code; a wrong one is an error naming the field."""
        assert sg.Community("431302001001", "x").parent == "431302001000"
        with pytest.raises(ValueError, match="parent"):
            sg.Community("431302001001", "x", parent="431302002000")

    @pytest.mark.parametrize("kw, match", [
        ({"households": -1}, "households"),
        ({"households": 2.5}, "households"),
        ({"area_type": "urbn"}, "did you mean 'urban'"),
        ({"funding": {"operatin": 1}}, "did you mean 'operating'"),
        ({"group_leader_subsidy": "60 m**2"}, "wrong dimension"),
        ({"plaques": "party_org"}, "list"),
        ({"staff": [{"post": 4}]}, "post"),
    ])
    def test_invalid_values_raise_naming_the_field(self, kw, match):
        """Each invalid value raises ValueError naming the problem."""
        with pytest.raises(ValueError, match=match):
            sg.Community("431302001001", "x", **kw)

    def test_a_street_code_is_not_a_community(self):
        """A community needs a community-level code."""
        with pytest.raises(ValueError, match="expected a community code"):
            sg.Community("431302001000", "x")

    def test_closed_tag_lists_are_sets_in_vocabulary_order(self):
        """Bodies and 五统一 keys are sets; plaques keep what is written, in order."""
        c = sg.Community("431302001001", "x", bodies=["residents_council", "party_org", "party_org"],
                         plaques=["文明单位", "party_org"])
        assert c.bodies == ("party_org", "residents_council")
        assert c.plaques == ("文明单位", "party_org")

    def test_facility_area_sums_a_kind_and_says_unknown(self):
        """facility_area totals a kind; an area missing makes the total unknown."""
        c = sg.Community("431302001001", "x", facilities=[{"kind": "office", "area": 10}, {"kind": "office", "area": 5}])
        assert c.facility_area("office").magnitude == 15
        assert c.facility_area("police_room").magnitude == 0
        assert sg.Community("431302001001", "x", facilities=[{"kind": "office"}]).facility_area("office") is None


class TestRegion:
    def test_level_and_parent_follow_from_the_code(self):
        """A region's level and parent are derived when not given."""
        r = sg.Region("500154", "开州区")
        assert r.level is sg.Level.DISTRICT and r.parent == "500100000000"

    def test_given_level_must_agree(self):
        """A level that contradicts the code's digits is an error."""
        with pytest.raises(ValueError, match="level"):
            sg.Region("500154", "开州区", level="city")

    def test_community_code_refused(self):
        """Communities are not regions."""
        with pytest.raises(ValueError, match="use Community"):
            sg.Region("431302001001", "x")


class TestStaffMember:
    def test_ratings_by_year(self):
        """Ratings map years to rating keys."""
        m = sg.StaffMember(roles=["worker"], ratings={"2016": "incompetent", 2017: "competent"})
        assert m.rating(2016) == "incompetent" and m.rating(2015) is None
        assert m.to_dict()["ratings"] == {"2016": "incompetent", "2017": "competent"}

    def test_unknown_rating(self):
        """An unknown rating key suggests the closest."""
        with pytest.raises(ValueError, match="did you mean 'incompetent'"):
            sg.StaffMember(ratings={"2016": "incompetant"})
