"""The Dataset: a validated hierarchy of regions and communities stored as columns.

A Dataset that exists is valid: every constructor validates all input and raises one
:class:`~shequ_gov.ValidationError` listing every problem. Data lives in numpy columns (see
``_columns``); attrs objects (:class:`~shequ_gov.Community`, :class:`~shequ_gov.Region`) are built
on demand for inspection, and the networkx graph is built on first use of :attr:`Dataset.graph`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any, Iterable, Iterator, Mapping, overload

import numpy as np

from . import _columns as C
from . import _io
from ._codes import SCALE, code_level, normalize_code
from ._model import Community, Region
from ._vocab import Level

__all__ = ["Dataset"]


def _as_code(code: object) -> str:
    try:
        return normalize_code(code)
    except ValueError as exc:
        raise KeyError(f"{code!r}: {exc}") from None


class Dataset:
    """Regions and communities of China's five-level hierarchy, validated, in columns.

    Build one with :meth:`from_objects`, :meth:`from_dict`, :meth:`read` (JSON, gzip JSON, CSV or
    the real division list), or :func:`shequ_gov.synth.generate`; write it with :meth:`write`.
    ``len(ds)`` is the number of communities.

    Examples
    --------
    >>> import shequ_gov as sg
    >>> ds = sg.Dataset.from_objects(
    ...     [sg.Region("43", "湖南省"), sg.Region("4313", "娄底市"), sg.Region("431302", "娄星区"),
    ...      sg.Region("431302001", "乐坪街道")],
    ...     [sg.Community("431302001001", "示例社区", households=1500)])
    >>> len(ds), ds.community("431302001001").households
    (1, 1500)
    >>> [r.name for r in ds.ancestors("431302001001")]
    ['乐坪街道', '娄星区', '娄底市', '湖南省']
    """

    __slots__ = ("_st", "_graph", "_hash", "__weakref__")

    def __init__(self, store: C.Store):
        # Internal: use the from_* constructors, which validate.
        self._st = store
        self._graph = None
        self._hash: str | None = None

    # --- constructors ------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], *, source: str | None = None) -> "Dataset":
        """Build from an interchange-format document (``{"schema": "shequ-gov/1", ...}``)."""
        return cls(C.from_dict(doc, source=source))

    @classmethod
    def from_objects(cls, regions: Iterable[Region], communities: Iterable[Community] = ()) -> "Dataset":
        """Build from attrs objects (dicts in the interchange format are accepted too)."""
        def as_dict(x: Any) -> Any:
            return x.to_dict() if hasattr(x, "to_dict") else x

        doc = {"schema": C.SCHEMA, "regions": [as_dict(r) for r in regions],
               "communities": [as_dict(c) for c in communities]}
        return cls(C.from_dict(doc))

    @classmethod
    def read(cls, path: str | os.PathLike[str], *, skeleton: "str | os.PathLike[str] | Dataset | None" = None,
             encoding: str | None = None, mapping: "str | os.PathLike[str] | dict | None" = None) -> "Dataset":
        """Read a ``.json``, ``.json.gz``, ``.csv``, ``.csv.gz`` or ``.xlsx`` file.

        Workbooks (``.xlsx``, the ``excel`` extra) and CSV tables of communities are read as
        offices keep them (Chinese or English headers, units in headers, ``1,500``, ``26万元``,
        ``是/否``, GBK files; child records as sheets or counts): see :doc:`spreadsheets`.
        *skeleton* (a path or a Dataset, such as the real division list) gives every region above
        the communities; *encoding* names a CSV's encoding (UTF-8 and GB18030 are detected);
        *mapping* (a TOML file or a dict) maps other headers to fields.

        A CSV in the layout of the real division list (``code,name,level,parent_code,
        urban_rural_code,urban_rural_year``) is read directly, gzip-compressed or not; the area
        type of a community follows from its urban-rural code where one is given (111 → central
        urban, 112 → urban, 121/122/123 → township, 210/220 → rural) and is missing otherwise.
        """
        from . import _sheets

        if _sheets.wanted(path, skeleton=skeleton, encoding=encoding, mapping=mapping):
            return cls(_sheets.read_store(path, skeleton=skeleton, encoding=encoding, mapping=mapping))
        return cls(_io.read(path))

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the interchange format (``.json``, or gzip-compressed ``.json.gz``), or a workbook
        (``.xlsx``, the layout :meth:`read` reads back), atomically.

        The same dataset always gives byte-identical JSON files.
        """
        if str(path).lower().endswith(".xlsx"):
            from . import _sheets

            doc = self.to_dict()
            _io.atomic_write(path, lambda f: _sheets.write_workbook(doc, f))
            return
        _io.write(self._st, path)

    def to_dict(self) -> dict[str, Any]:
        """The interchange-format document (canonical: sorted by code, quantities in canonical units)."""
        return {"schema": C.SCHEMA, "regions": C.region_dicts(self._st), "communities": C.community_dicts(self._st)}

    # --- size and equality -------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._st.n_communities

    @property
    def n_regions(self) -> int:
        """The number of regions (provinces, cities, districts and streets)."""
        return self._st.n_regions

    def __repr__(self) -> str:
        counts = self.level_counts()
        parts = ", ".join(f"{n} {lv.value}" for lv, n in counts.items() if n)
        return f"<Dataset: {parts or 'empty'}>"

    def _repr_html_(self) -> str:
        """Counts per level, provinces and the installed policies' jurisdictions covered, for notebooks."""
        from ._html import dataset_repr_html

        return dataset_repr_html(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        return self.fingerprint() == other.fingerprint()

    __hash__ = None  # type: ignore[assignment]

    def fingerprint(self) -> str:
        """A SHA-256 of the canonical content: equal datasets have equal fingerprints."""
        if self._hash is None:
            h = hashlib.sha256()
            for chunk in _io.json_chunks(self._st):
                h.update(chunk.encode("utf-8"))
            self._hash = h.hexdigest()
        return self._hash

    def level_counts(self) -> dict[Level, int]:
        """How many units of each level the dataset holds."""
        counts = np.bincount(self._st.regions["depth"], minlength=4)
        out = {lv: int(counts[lv.depth]) for lv in list(Level)[:4]}
        out[Level.COMMUNITY] = len(self)
        return out

    # --- attrs views -------------------------------------------------------------------------------
    @property
    def communities(self) -> Sequence[Community]:
        """All communities as a lazy sequence of :class:`Community` objects, in code order."""
        return _CommunityView(self)

    @property
    def regions(self) -> Sequence[Region]:
        """All regions as a lazy sequence of :class:`Region` objects, in code order."""
        return _RegionView(self)

    def community(self, code: object) -> Community:
        """The community with *code* (``KeyError`` if there is none)."""
        c = _as_code(code)
        row = self._st.community_row(int(c))
        if row < 0:
            raise KeyError(f"no community with code {c}")
        return self._community_at(row)

    def region(self, code: object) -> Region:
        """The region with *code*, short forms accepted (``KeyError`` if there is none)."""
        c = _as_code(code)
        row = self._st.region_row(int(c))
        if row < 0:
            raise KeyError(f"no region with code {c}")
        return self._region_at(row)

    def __getitem__(self, code: object) -> Region | Community:
        """The region or community with *code*."""
        c = _as_code(code)
        return self.community(c) if code_level(c) is Level.COMMUNITY else self.region(c)

    def __contains__(self, code: object) -> bool:
        try:
            c = _as_code(code)
        except KeyError:
            return False
        st = self._st
        return (st.community_row(int(c)) if code_level(c) is Level.COMMUNITY else st.region_row(int(c))) >= 0

    def _community_at(self, row: int) -> Community:
        (d,) = C.community_dicts(self._st, [row])
        return Community(**d)

    def _region_at(self, row: int) -> Region:
        r = self._st.regions
        code = f"{int(r['code'][row]):012d}"
        kw: dict[str, Any] = {}
        for name, spec in C.REGION_SPECS.items():
            (v,) = C.decode_column(spec, r[name][row:row + 1])
            if v is not None:
                kw[name] = v
        return Region(code, r["name"][row], **kw)

    # --- hierarchy queries -------------------------------------------------------------------------
    def _rows_under(self, code: str) -> tuple[slice, slice]:
        """Row ranges of regions and communities inside *code*'s subtree (itself included)."""
        level = code_level(code)
        lo = int(code)
        hi = lo + int(SCALE[level.depth]) if level is not Level.COMMUNITY else lo + 1
        rc, cc = self._st.regions["code"], self._st.communities["code"]
        return (slice(int(np.searchsorted(rc, lo)), int(np.searchsorted(rc, hi))),
                slice(int(np.searchsorted(cc, lo)), int(np.searchsorted(cc, hi))))

    def _require(self, code: object) -> str:
        c = _as_code(code)
        if c not in self:
            raise KeyError(f"no region or community with code {c}")
        return c

    def parent(self, code: object) -> Region | None:
        """The region directly above *code* (``None`` for a province)."""
        anc = self.ancestors(code)
        return anc[0] if anc else None

    def ancestors(self, code: object) -> list[Region]:
        """The regions above *code*, nearest first (street … province)."""
        c = self._require(code)
        level = code_level(c)
        return [self.region(c[:lv.digits]) for lv in reversed(list(Level)[:level.depth])]

    def children(self, code: object) -> list[Region | Community]:
        """The units directly below *code*, in code order."""
        c = self._require(code)
        level = code_level(c)
        if level is Level.COMMUNITY:
            return []
        rs, cs = self._rows_under(c)
        if level is Level.STREET:
            return [self._community_at(i) for i in range(cs.start, cs.stop)]
        depth = self._st.regions["depth"][rs]
        return [self._region_at(rs.start + int(i)) for i in np.flatnonzero(depth == level.depth + 1)]

    def descendants(self, code: object, level: Level | str | None = None) -> list[str]:
        """Codes of every unit below *code* (of *level* only, if given), in code order."""
        c = self._require(code)
        rs, cs = self._rows_under(c)
        lv = Level.parse(level) if level is not None else None
        out: list[str] = []
        if lv is None or lv is not Level.COMMUNITY:
            rc = self._st.regions["code"][rs]
            d = self._st.regions["depth"][rs]
            keep = d > code_level(c).depth if lv is None else d == lv.depth
            out += [f"{x:012d}" for x in rc[keep].tolist()]
        if lv is None or lv is Level.COMMUNITY:
            out += [f"{x:012d}" for x in self._st.communities["code"][cs].tolist() if f"{x:012d}" != c]
        return sorted(out) if lv is None else out

    def subtree(self, code: object) -> "Dataset":
        """The part of the dataset under *code*, with the chain of regions above it (so it is a valid tree)."""
        c = self._require(code)
        rs, cs = self._rows_under(c)
        above = [int(c[:lv.digits] + "0" * (12 - lv.digits)) for lv in list(Level)[:code_level(c).depth]]
        r_rows = np.concatenate([[self._st.region_row(a) for a in above], np.arange(rs.start, rs.stop)]).astype(np.int64)
        return Dataset(_take(self._st, r_rows, np.arange(cs.start, cs.stop)))

    def find(self, name: str, *, level: Level | str | None = None) -> list[str]:
        """Codes of the units called exactly *name* (of *level* only, if given), in code order."""
        lv = Level.parse(level) if level is not None else None
        out: list[str] = []
        if lv is None or lv is not Level.COMMUNITY:
            r = self._st.regions
            m = r["name"] == name
            if lv is not None:
                m &= r["depth"] == lv.depth
            out += [f"{x:012d}" for x in r["code"][m].tolist()]
        if lv is None or lv is Level.COMMUNITY:
            cm = self._st.communities
            out += [f"{x:012d}" for x in cm["code"][cm["name"] == name].tolist()]
        return sorted(out)

    def within(self, code: object, *, level: Level | str = Level.COMMUNITY) -> np.ndarray:
        """Boolean mask over the communities (or regions of *level*) inside *code*'s subtree."""
        c = normalize_code(code)
        lv = Level.parse(level)
        digits = code_level(c).digits
        s = SCALE[code_level(c).depth] if digits < 12 else 1
        if lv is Level.COMMUNITY:
            return self._st.communities["code"] // s == int(c) // s
        r = self._st.regions
        return (r["depth"] == lv.depth) & (r["code"] // s == int(c) // s)

    @property
    def graph(self) -> Any:
        """The hierarchy as a networkx ``DiGraph`` (parent → child), built on first use.

        Nodes are 12-digit codes with attributes ``name`` and ``level``. The graph is a view:
        changing it does not change the dataset.
        """
        if self._graph is None:
            import networkx as nx

            g = nx.DiGraph()
            r, cm = self._st.regions, self._st.communities
            rcodes = [f"{x:012d}" for x in r["code"].tolist()]
            levels = list(Level)
            g.add_nodes_from((c, {"name": n, "level": levels[d]})
                             for c, n, d in zip(rcodes, r["name"].tolist(), r["depth"].tolist()))
            ccodes = [f"{x:012d}" for x in cm["code"].tolist()]
            g.add_nodes_from((c, {"name": n, "level": Level.COMMUNITY}) for c, n in zip(ccodes, cm["name"].tolist()))
            g.add_edges_from((rcodes[p], c) for p, c in zip(r["parent"].tolist(), rcodes) if p >= 0)
            g.add_edges_from((rcodes[p], c) for p, c in zip(cm["parent"].tolist(), ccodes))
            self._graph = g
        return self._graph


def _take(st: C.Store, r_rows: np.ndarray, c_rows: np.ndarray) -> C.Store:
    """A store of the given region and community rows (regions must stay a closed tree)."""
    regions = {k: v[r_rows] for k, v in st.regions.items() if k != "parent"}
    regions["parent"] = C.parent_rows(regions["code"], regions["depth"])
    comms = {k: v[c_rows] for k, v in st.communities.items() if k not in ("anc", "parent")}
    C.store_comm_ancestors(comms, regions["code"])
    fac, _ = st.facilities.take_owners(c_rows)
    staff, staff_src = st.staff.take_owners(c_rows)
    ratings, _ = st.ratings.take_owners(staff_src)
    tasks, _ = st.tasks.take_owners(c_rows)
    tags = {k: v.take_owners(c_rows)[0] for k, v in st.tags.items()}
    return C.Store(regions, comms, fac, staff, ratings, tasks, tags)


class _View(Sequence):
    __slots__ = ("_ds",)

    def __init__(self, ds: Dataset):
        self._ds = ds

    def __repr__(self) -> str:
        return f"<{len(self)} {self._noun} of {self._ds!r}>"


class _CommunityView(_View):
    """The communities of a dataset, built as attrs objects when accessed."""

    _noun = "communities"

    def __len__(self) -> int:
        return len(self._ds)

    @overload
    def __getitem__(self, i: int) -> Community: ...
    @overload
    def __getitem__(self, i: slice) -> list[Community]: ...

    def __getitem__(self, i: int | slice) -> Community | list[Community]:
        if isinstance(i, slice):
            return [self._ds._community_at(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError(i)
        return self._ds._community_at(i % n)

    def __iter__(self) -> Iterator[Community]:
        st = self._ds._st
        step = 10_000
        for start in range(0, len(self), step):
            for d in C.community_dicts(st, range(start, min(start + step, len(self)))):
                yield Community(**d)


class _RegionView(_View):
    """The regions of a dataset, built as attrs objects when accessed."""

    _noun = "regions"

    def __len__(self) -> int:
        return self._ds.n_regions

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self._ds._region_at(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError(i)
        return self._ds._region_at(i % n)
