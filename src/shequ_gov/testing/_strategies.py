"""Hypothesis strategies for valid regions, communities and whole datasets.

Strategies are plural nouns returning strategies, as in hypothesis itself. Every value they make
is valid input: a property test starts from these and mutates on purpose.
"""

from __future__ import annotations

from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("shequ_gov.testing needs hypothesis: pip install 'shequ-gov[test]'") from exc

from .. import _schema as S
from .._vocab import AREA_TYPES, BODIES, FACILITY_KINDS, PLAQUES, RATINGS, ROLES, TASK_KINDS, UNIFIED

__all__ = ["communities", "dataset_documents", "datasets", "regions"]


def _maybe(strategy: Any, missing: float = 0.25) -> Any:
    """The value or ``None`` (missing)."""
    return st.one_of(st.none(), strategy) if missing else strategy


def _field_values(spec: S.Field) -> Any:
    k = spec.kind
    if k == "count":
        return st.integers(0, 5000)
    if k == "quantity":
        return st.integers(0, 400_000).map(float) | st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 2))
    if k == "share":
        return st.integers(0, 100).map(lambda x: x / 100)
    if k == "bool":
        return st.booleans()
    if k == "enum":
        return st.sampled_from(list(spec.vocab or ()))
    return st.integers(spec.low, spec.high or spec.low)


def _record(specs: tuple[S.Field, ...], **fixed: Any) -> Any:
    parts = {f.name: _maybe(_field_values(f)) for f in specs}
    parts.update(fixed)
    return st.fixed_dictionaries({}, optional=parts).map(lambda d: {k: v for k, v in d.items() if v is not None})


def _staff() -> Any:
    fields = {f.name: _maybe(_field_values(f)) for f in S.STAFF_FIELDS if f.name not in ("post", "grade")}
    scale = st.one_of(st.none(), st.just((0, 0)), st.tuples(st.integers(1, 3), st.integers(1, 18)))
    ratings = _maybe(st.dictionaries(st.integers(2010, 2025).map(str), st.sampled_from(list(RATINGS)), max_size=4))

    def build(d: dict, sc: Any, r: Any, roles: list) -> dict:
        out = {k: v for k, v in d.items() if v is not None}
        out["roles"] = roles
        if sc is not None:
            out["post"], out["grade"] = sc
        if r is not None:
            out["ratings"] = r
        return out

    return st.builds(build, st.fixed_dictionaries(fields), scale, ratings,
                     st.lists(st.sampled_from(list(ROLES)), max_size=2, unique=True))


def _task() -> Any:
    kinds = st.sampled_from(list(TASK_KINDS)) | st.sampled_from(["民政统计", "创建文明城市", "垃圾分类督导"])
    return _record(S.TASK_FIELDS, kind=kinds).filter(lambda d: "kind" in d)


_NAMES = st.text(
    alphabet=st.sampled_from(list("东西南北中和平安新华光明幸福村社区居委会街道１２３（）\ue000𠀋·ABC")),
    min_size=1, max_size=8,
).filter(lambda s: s.strip() != "")


@st.composite
def communities(draw: Any, code: str | None = None, parent: str | None = None) -> dict[str, Any]:
    """Interchange-format dicts of valid communities (every field optional, lists possibly empty).

    *code* fixes the code (a street code + 3 digits otherwise drawn); *parent* is written when given.
    """
    if code is None:
        street = parent or "110101001000"
        code = street[:9] + f"{draw(st.integers(1, 999)):03d}"
    d: dict[str, Any] = {"code": code, "name": draw(_NAMES)}
    if parent is not None:
        d["parent"] = parent
    for f in S.COMMUNITY_FIELDS:
        v = draw(_maybe(_field_values(f)))
        if v is not None:
            d[f.name] = v
    if draw(st.booleans()):
        d["facilities"] = draw(st.lists(_record(S.FACILITY_FIELDS, kind=st.sampled_from(list(FACILITY_KINDS)))
                                        .filter(lambda x: "kind" in x), max_size=6))
    if draw(st.booleans()):
        d["staff"] = draw(st.lists(_staff(), max_size=5))
    if draw(st.booleans()):
        d["tasks"] = draw(st.lists(_task(), max_size=5))
    for name, vocab, extra in (("plaques", PLAQUES, ["文明单位", "老年协会"]), ("unified", UNIFIED, []),
                               ("bodies", BODIES, [])):
        if draw(st.booleans()):
            keys = st.sampled_from(list(vocab) + extra)
            d[name] = draw(st.lists(keys, max_size=5, unique=not vocab.open))
    for group, specs in (("funding", S.FUNDING_FIELDS), ("burden", S.BURDEN_FIELDS)):
        if draw(st.booleans()):
            d[group] = draw(_record(specs))
    if draw(st.booleans()):
        a: dict[str, Any] = {}
        w = draw(_record(S.WEIGHT_FIELDS))
        if w:
            a["weights"] = w
        ap = draw(_maybe(st.booleans()))
        if ap is not None:
            a["appeal_period"] = ap
        d["assessment"] = a
    return d


@st.composite
def regions(draw: Any, level: str = "street") -> list[dict[str, Any]]:
    """A valid chain of region dicts from a province down to *level* (province … street)."""
    prov = draw(st.integers(11, 65))
    city, dist, street = draw(st.integers(1, 30)), draw(st.integers(1, 30)), draw(st.integers(1, 300))
    codes = [f"{prov:02d}0000000000", f"{prov:02d}{city:02d}00000000", f"{prov:02d}{city:02d}{dist:02d}000000",
             f"{prov:02d}{city:02d}{dist:02d}{street:03d}000"]
    levels = ["province", "city", "district", "street"]
    out = []
    for i, (code, lv) in enumerate(zip(codes, levels)):
        d: dict[str, Any] = {"code": code, "name": draw(_NAMES), "level": lv}
        if i:
            d["parent"] = codes[i - 1]
        for f in S.REGION_FIELDS:
            v = draw(_maybe(_field_values(f), missing=0.6))
            if v is not None:
                d[f.name] = v
        out.append(d)
        if lv == level:
            break
    return out


@st.composite
def dataset_documents(draw: Any, max_communities: int = 8) -> dict[str, Any]:
    """Valid interchange-format documents: a small tree of regions and its communities."""
    n_streets = draw(st.integers(1, 3))
    regs: dict[str, dict] = {}
    streets = []
    for _ in range(n_streets):
        chain = draw(regions())
        for r in chain:
            regs.setdefault(r["code"], r)
        streets.append(chain[-1]["code"])
    codes = draw(st.lists(st.tuples(st.sampled_from(streets), st.integers(1, 999)), max_size=max_communities,
                          unique=True))
    comms = [draw(communities(code=s[:9] + f"{k:03d}", parent=s)) for s, k in codes]
    return {"schema": "shequ-gov/1", "regions": list(regs.values()), "communities": comms}


def datasets(max_communities: int = 8) -> Any:
    """Valid :class:`~shequ_gov.Dataset` objects (built from :func:`dataset_documents`)."""
    from .._dataset import Dataset

    return dataset_documents(max_communities).map(Dataset.from_dict)


# Keep AREA_TYPES importable from here for strategies users compose themselves.
AREA_TYPE_KEYS = list(AREA_TYPES)
