"""The real five-level division list of China (../shared/data), loaded whole."""

import pytest

import shequ_gov as sg


def test_counts_per_level(china):
    """All 665,271 units load, with the published count at each level."""
    counts = {lv.value: n for lv, n in china.level_counts().items()}
    assert counts == {"province": 31, "city": 342, "district": 2975, "street": 41351, "community": 620572}


@pytest.mark.parametrize("code, streets, communities", [
    ("21", 1406, 16727), ("2101", 190, 2703), ("2102", 152, 1832), ("210203", 5, 49),
    ("32", 1487, 21958), ("4313", 89, 2107), ("500154", 40, 535),
])
def test_counts_under_the_policy_jurisdictions(china, code, streets, communities):
    """The seven jurisdictions hold the numbers of streets and communities the data README gives."""
    assert len(china.descendants(code, level="street")) == streets
    assert len(china.descendants(code, level="community")) == communities
    assert int(china.within(code).sum()) == communities


def test_area_types_follow_the_urban_rural_code(china):
    """111 → central urban, 220 → rural; a community without a code has no area type."""
    counts = {t: 0 for t in sg.AreaType}
    for c in china.communities[:2000]:
        if c.area_type is not None:
            counts[c.area_type] += 1
    assert counts[sg.AreaType.CENTRAL_URBAN] > 0
    kaizhou = china.subtree("500154")
    types = {c.area_type for c in kaizhou.communities}
    assert sg.AreaType.RURAL in types


def test_placeholders_and_parents(china):
    """The placeholder city 市辖区 of Chongqing is Kaizhou's parent."""
    assert china.parent("500154").name == "市辖区"
    assert china.region("500100").level is sg.Level.CITY


def test_names_with_rare_characters_are_intact(divisions_path, china):
    """Names with private-use or full-width characters come through as in the file."""
    import csv
    import gzip

    odd = []
    with gzip.open(divisions_path, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            name = row["name"]
            if any(0xE000 <= ord(ch) <= 0xF8FF or 0xFF00 <= ord(ch) <= 0xFFEF or ord(ch) > 0xFFFF for ch in name):
                odd.append((row["code"], name))
    assert odd, "the file has such names"
    for code, name in odd[:200]:
        assert china[code].name == name
