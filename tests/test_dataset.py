"""Dataset: building, round trips, files, queries and views."""

import gzip
import json
import os

import numpy as np
import pytest

import shequ_gov as sg


@pytest.fixture
def ds(example_doc):
    return sg.Dataset.from_dict(example_doc)


class TestBuild:
    def test_from_dict_counts(self, ds):
        """A document's regions and communities are all there."""
        assert len(ds) == 2 and ds.n_regions == 4
        assert ds.level_counts()[sg.Level.STREET] == 1

    def test_from_objects_equals_from_dict(self, ds, example_doc):
        """Objects and the interchange format build equal datasets."""
        regions = [sg.Region(**r) for r in example_doc["regions"]]
        comms = [sg.Community(**c) for c in example_doc["communities"]]
        assert sg.Dataset.from_objects(regions, comms) == ds

    def test_views_build_attrs_objects(self, ds):
        """.community, .region and .communities give attrs objects on demand."""
        c = ds.community("431302001001")
        assert isinstance(c, sg.Community) and c.households == 1500
        assert c.funding.operating == sg.Quantity(260_000, "yuan/year")
        assert ds.region("4313").average_annual_wage == sg.Quantity(68_000, "yuan/year")
        assert [x.code for x in ds.communities] == ["431302001001", "431302001002"]
        assert ds.communities[-1].name == "空白社区"
        with pytest.raises(KeyError, match="no community"):
            ds.community("431302001003")

    def test_missing_list_stays_missing(self, ds):
        """A community without a staff list has staff None, not ()."""
        empty = ds.community("431302001002")
        assert empty.staff is None and empty.households is None

    def test_input_order_does_not_matter(self, example_doc):
        """Shuffled records give an equal dataset (tables are sorted by code)."""
        a = sg.Dataset.from_dict(example_doc)
        example_doc["regions"].reverse()
        example_doc["communities"].reverse()
        assert sg.Dataset.from_dict(example_doc) == a

    def test_building_does_not_mutate_input(self, example_doc):
        """The input document is left as it was."""
        before = json.dumps(example_doc, sort_keys=True, ensure_ascii=False)
        sg.Dataset.from_dict(example_doc)
        assert json.dumps(example_doc, sort_keys=True, ensure_ascii=False) == before


class TestRoundTrip:
    def test_to_dict_round_trip(self, ds):
        """to_dict then from_dict gives an equal dataset."""
        assert sg.Dataset.from_dict(ds.to_dict()) == ds

    @pytest.mark.parametrize("name", ["d.json", "d.json.gz"])
    def test_file_round_trip(self, ds, tmp_path, name):
        """Writing and reading back (plain or gzip) loses nothing."""
        p = tmp_path / name
        ds.write(p)
        assert sg.Dataset.read(p) == ds
        if name.endswith(".gz"):
            with gzip.open(p, "rt", encoding="utf-8") as f:
                assert json.load(f)["schema"] == "shequ-gov/1"

    @pytest.mark.parametrize("name", ["d.json", "d.json.gz"])
    def test_output_is_byte_identical(self, ds, tmp_path, name):
        """The same dataset writes the same bytes, gzip included."""
        ds.write(tmp_path / ("a" + name))
        ds.write(tmp_path / ("b" + name))
        assert (tmp_path / ("a" + name)).read_bytes() == (tmp_path / ("b" + name)).read_bytes()

    def test_write_is_atomic(self, ds, tmp_path, monkeypatch):
        """A write that fails half-way leaves the old file and no temporary file."""
        p = tmp_path / "d.json"
        p.write_text("old")
        from shequ_gov import _io

        def broken(st, metadata=None, done=None):
            yield b"{"
            raise RuntimeError("disk full")

        monkeypatch.setattr(_io, "json_chunks", broken)
        with pytest.raises(RuntimeError):
            ds.write(p)
        assert p.read_text() == "old"
        assert os.listdir(tmp_path) == ["d.json"]

    def test_rare_characters_survive(self, tmp_path):
        """Private-use, rare and full-width characters come back intact."""
        name = "\ue000𠀋村（一）１组"
        ds = sg.Dataset.from_objects([sg.Region("11", "北京市"), sg.Region("1101", "市辖区"),
                                      sg.Region("110101", "东城区"), sg.Region("110101001", "东华门街道")],
                                     [sg.Community("110101001001", name)])
        ds.write(tmp_path / "d.json")
        assert sg.Dataset.read(tmp_path / "d.json").community("110101001001").name == name

    def test_unknown_suffix(self, ds, tmp_path):
        """Writing to an unknown suffix says which are supported."""
        with pytest.raises(ValueError, match=".json or .json.gz"):
            ds.write(tmp_path / "d.xml")


class TestQueries:
    def test_ancestors_nearest_first(self, ds):
        """Ancestors run from the street up to the province."""
        assert [r.level for r in ds.ancestors("431302001001")] == ["street", "district", "city", "province"]
        assert ds.parent("43") is None

    def test_children_and_descendants(self, ds):
        """Children are one level down; descendants are the whole subtree."""
        assert [c.code for c in ds.children("431302001000")] == ["431302001001", "431302001002"]
        assert [r.code for r in ds.children("43")] == ["431300000000"]
        assert ds.descendants("4313", level="community") == ["431302001001", "431302001002"]
        assert len(ds.descendants("43")) == 5

    def test_subtree_is_a_valid_dataset_with_its_ancestors(self, ds):
        """A subtree keeps the chain above it, so it is a valid tree."""
        sub = ds.subtree("431302001")
        assert len(sub) == 2 and sub.n_regions == 4
        assert sg.Dataset.from_dict(sub.to_dict()) == sub

    def test_find_by_name(self, ds):
        """Lookup by exact name, optionally at one level."""
        assert ds.find("娄底市") == ["431300000000"]
        assert ds.find("示例社区", level="community") == ["431302001001"]
        assert ds.find("nowhere") == []

    def test_within_mask(self, ds):
        """within() is a boolean mask over communities by code prefix."""
        assert ds.within("4313").tolist() == [True, True]
        assert ds.within("21").tolist() == [False, False]

    def test_graph_is_a_tree(self, ds):
        """The networkx graph is a tree rooted at the province, edges parent → child."""
        import networkx as nx

        g = ds.graph
        assert nx.is_tree(g) and g.in_degree("430000000000") == 0
        assert g.nodes["431302001001"]["level"] is sg.Level.COMMUNITY
        assert list(g.predecessors("431302001001")) == ["431302001000"]

    def test_getitem_and_contains(self, ds):
        """ds[code] returns the unit; `in` accepts short codes."""
        assert ds["4313"].name == "娄底市"
        assert "431302" in ds and "999999" not in ds and "garbage" not in ds


def test_fast_writer_matches_the_canonical_dicts(tmp_path):
    """The column-wise JSON writer gives exactly the canonical to_dict() content."""
    from shequ_gov import synth

    ds = synth.generate(400, seed=9)
    ds.write(tmp_path / "d.json")
    assert json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))["communities"] == ds.to_dict()["communities"]


def _fragment_kinds():
    from shequ_gov import _jsonfast

    kinds = [pytest.param(lambda: _jsonfast._Lists, id="lists")]
    try:
        import pyarrow  # noqa: F401
        kinds.append(pytest.param(_jsonfast._Arrow, id="arrow"))
    except ImportError:
        kinds.append(pytest.param(None, id="arrow", marks=pytest.mark.skip("pyarrow is not installed")))
    return kinds


@pytest.mark.parametrize("backend", _fragment_kinds())
def test_fast_writer_is_byte_for_byte_json_dumps_of_the_canonical_dicts(backend):
    """The column-wise JSON text is exactly ``json.dumps`` of each canonical community dict, one a
    line, including the numbers it formats itself (whole quantities, counts beyond 2**53, -0.0),
    names that need escapes, missing values in the first field of a record, with either kind of
    fragments (Python lists, pyarrow arrays)."""
    from shequ_gov import _columns as C, _jsonfast, synth

    ds = synth.generate(1500, seed=11)
    doc = ds.to_dict()
    c = doc["communities"]
    c[0]["households"], c[1]["population"] = 2**60, 10**20  # counts beyond any float's integers
    c[2].setdefault("funding", {})["operating"] = -0.0  # whole, written 0
    c[3].setdefault("funding", {})["operating"] = 2.0**60  # beyond 2**53: written as a float
    c[4]["convenience_distance"] = 1e-7
    for d in c[5:9]:
        for key in ("facilities", "staff", "tasks", "plaques", "funding", "burden"):
            d.pop(key, None)
    c[10]["name"] = 'a "quoted"\\ name\twith\u0001 escapes'
    c[11]["facilities"] = [{"kind": "office"}, {"kind": "office", "area": 3}]
    c[12]["staff"] = [{"monthly_pay": 2000}, {}, {"roles": ["director"], "ratings": {"2020": "competent"}}]
    c[13]["staff"], c[13]["tasks"], c[13]["facilities"] = [], [], []
    ds = sg.Dataset.from_dict(doc)
    st = ds._st
    enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    lines = [enc(d) for d in C.community_dicts(st)]
    expected = ("\n" + ",\n".join(lines[:400]) + "".join(",\n" + ",\n".join(lines[a:a + 400])
                                                          for a in range(400, len(lines), 400))).encode()
    got = list(_jsonfast.chunks(st, step=400, backend=backend()))
    assert b"".join(text for text, _ in got) == expected
    assert [count for _, count in got] == [400, 400, 400, 300]
