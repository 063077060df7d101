"""Reading and writing datasets: the JSON interchange format (optionally gzip-compressed) and CSV.

CSV is read in the layout of the real division list (``code,name,level,parent_code,
urban_rural_code,urban_rural_year``); any further column named after a community field (a flat
path such as ``households`` or ``funding.operating``) or a region field is read too, an empty cell
being missing. Files are written atomically: to a temporary file beside the target, then renamed.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from . import _columns as C
from . import _schema as S
from ._atomic import atomic_write  # the one atomic writer (moved; kept importable here)
from ._codes import levels_of, truncate
from ._errors import Problems, ValidationError
from ._vocab import AREA_TYPES, Level

#: NBS urban-rural classification code (城乡分类代码) → area type. 111 主城区 is the central urban
#: area; 112 城乡结合区 other urban; 121 镇中心区, 122 镇乡结合区 and 123 特殊区域 are townships;
#: 210 乡中心区 and 220 村庄 are rural.
URBAN_RURAL_AREA_TYPES = {
    "111": "central_urban", "112": "urban", "121": "township", "122": "township", "123": "township",
    "210": "rural", "220": "rural",
}

DIVISION_COLUMNS = ("code", "name", "level", "parent_code", "urban_rural_code", "urban_rural_year")


def _is_gzip(path: Path) -> bool:
    return path.suffix == ".gz"


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def read(path: str | os.PathLike[str]) -> C.Store:
    """Read a dataset file: ``.json``, ``.json.gz``, ``.csv`` or ``.csv.gz``."""
    p = Path(path)
    kind = _base_suffix(p)
    if not p.exists():
        raise ValidationError([(str(p), "no such file")], source=str(p))
    if kind == ".json":
        return read_json(p)
    if kind == ".csv":
        return read_csv(p)
    raise ValidationError([(str(p), f"unknown file type {kind or '(none)'!r}: expected .json, .json.gz, "
                                    ".csv or .csv.gz")], source=str(p))


def _open_text(p: Path) -> Any:
    if _is_gzip(p):
        return io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8", newline="")
    return open(p, encoding="utf-8", newline="")


def read_json(p: Path) -> C.Store:
    try:
        with _open_text(p) as f:
            doc = json.load(f)
    except json.JSONDecodeError as exc:
        raise ValidationError([(f"{p}:{exc.lineno}:{exc.colno}", f"malformed JSON: {exc.msg}")],
                              source=str(p)) from None
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise ValidationError([(str(p), f"cannot read as UTF-8 JSON: {exc}")], source=str(p)) from None
    return C.from_dict(doc, source=str(p))


def read_csv(p: Path) -> C.Store:
    try:
        with _open_text(p) as f:
            reader = csv.reader(f)
            header = next(reader, None)
            rows = list(reader)
    except (UnicodeDecodeError, OSError, EOFError, csv.Error) as exc:
        raise ValidationError([(str(p), f"cannot read as UTF-8 CSV: {exc}")], source=str(p)) from None
    return from_csv_rows(header, rows, str(p))


def from_csv_rows(header: list[str] | None, rows: list[list[str]], source: str) -> C.Store:
    """Build a store from CSV rows (see the module docstring for the columns)."""
    prob = Problems()
    if not header:
        prob.add(f"{source}:1", "empty file: expected a header row with at least code and name")
        prob.raise_if_any(source)
    header = [h.strip().lstrip("\ufeff") for h in header]
    col = {h: i for i, h in enumerate(header)}
    for req in ("code", "name"):
        if req not in col:
            prob.add(f"{source}:1", f"missing column {req!r} (header: {', '.join(header)})")
    comm_specs = dict(S.COMMUNITY_COLUMNS)
    extra = {}
    for h in header:
        if h in DIVISION_COLUMNS or h == "area_type" or h == "parent":
            continue
        spec = comm_specs.get(h) or C.REGION_SPECS.get(h)
        if spec is None:
            prob.add(f"{source}:1", C._unknown_key(h, DIVISION_COLUMNS + ("area_type",) + tuple(comm_specs)
                                                   + tuple(C.REGION_SPECS)).replace("field", "column", 1))
        else:
            extra[h] = spec
    prob.raise_if_any(source)
    width = len(header)
    for i, r in enumerate(rows):
        if len(r) != width:
            prob.add(f"{source}:{i + 2}", f"expected {width} cells, got {len(r)}")
    prob.raise_if_any(source)
    n = len(rows)
    cols = list(zip(*rows)) if rows else [()] * width
    get = lambda name: cols[col[name]] if name in col else None  # noqa: E731

    codes_txt = get("code")
    codes = np.full(n, -1, dtype=np.int64)
    try:
        arr = np.array(codes_txt, dtype="U12")
        ok = np.char.str_len(arr) == 12
        ok &= np.char.isdigit(arr) if n else ok
        if not ok.all() or any(len(c) != 12 for c in codes_txt):
            raise ValueError
        codes = arr.astype(np.int64)
    except ValueError:
        from ._codes import normalize_code
        for i, c in enumerate(codes_txt):
            try:
                codes[i] = int(normalize_code(c))
            except ValueError as exc:
                prob.add(f"{source}:{i + 2}:code", str(exc))
    depth = levels_of(np.where(codes >= 0, codes, 10**11))
    names = list(get("name"))
    for i in np.flatnonzero(np.char.str_len(np.array(names, dtype=str)) == 0) if n else []:
        prob.add(f"{source}:{i + 2}:name", "required: a non-empty name")
    level_txt = get("level")
    if level_txt is not None:
        lv = np.array([x.depth for x in Level], dtype=np.int8)
        lookup = {x.value: x.depth for x in Level}
        given = np.array([lookup.get(x, -1) for x in level_txt], dtype=np.int8)
        for i in np.flatnonzero(given < 0):
            prob.add(f"{source}:{i + 2}:level", f"unknown level {level_txt[i]!r} (expected one of: "
                                                f"{', '.join(x.value for x in Level)})")
        for i in np.flatnonzero((given >= 0) & (given != depth) & (codes >= 0)):
            prob.add(f"{source}:{i + 2}:level", f"level {level_txt[i]!r} was given, but the code's digits make "
                                                f"{codes[i]:012d} a {list(Level)[depth[i]].value}")
        del lv
    parent_txt = get("parent_code") or get("parent")
    given_parent = np.full(n, -1, dtype=np.int64)
    if parent_txt is not None:
        nonempty = [i for i, x in enumerate(parent_txt) if x]
        try:
            given_parent[nonempty] = np.array([parent_txt[i] for i in nonempty], dtype="U12").astype(np.int64)
        except ValueError:
            from ._codes import normalize_code
            for i in nonempty:
                try:
                    given_parent[i] = int(normalize_code(parent_txt[i]))
                except ValueError as exc:
                    prob.add(f"{source}:{i + 2}:parent_code", str(exc))
    is_comm = depth == 4
    cidx = np.flatnonzero(is_comm)
    ridx = np.flatnonzero(~is_comm)
    # area types: an explicit column wins; else the urban-rural code where one is given
    area = np.full(n, -1, dtype=np.int8)
    ur = get("urban_rural_code")
    if ur is not None:
        keys = np.array(ur, dtype="U3")
        for code_txt, at in URBAN_RURAL_AREA_TYPES.items():
            area[keys == code_txt] = AREA_TYPES.index(at)
        bad = (keys != "") & (area < 0)
        for i in np.flatnonzero(bad):
            prob.add(f"{source}:{i + 2}:urban_rural_code", f"unknown urban-rural code {ur[i]!r} (expected one of: "
                                                           f"{', '.join(URBAN_RURAL_AREA_TYPES)})")
    at_txt = get("area_type")
    if at_txt is not None:
        for i, v in enumerate(at_txt):
            if v:
                try:
                    area[i] = AREA_TYPES.index(AREA_TYPES.check(v))
                except ValueError as exc:
                    prob.add(f"{source}:{i + 2}:area_type", str(exc))
    extra_cols: dict[str, np.ndarray] = {}
    for h, spec in extra.items():
        values = cols[col[h]]
        out = np.full(n, C.missing_of(spec), dtype=C.dtype_of(spec))
        for i, v in enumerate(values):
            if v == "":
                continue
            try:
                out[i] = C.encode(spec, spec.parse(_csv_value(spec, v)))
            except ValueError as exc:
                prob.add(f"{source}:{i + 2}:{h}", str(exc))
        extra_cols[h] = out
    for h in extra:
        if h in C.REGION_SPECS and h not in comm_specs:
            for i in cidx[extra_cols[h][cidx] != C.missing_of(extra[h])] if n else []:
                if extra[h].kind in ("count", "quantity", "share") and np.isnan(extra_cols[h][i]):
                    continue
                prob.add(f"{source}:{i + 2}:{h}", f"{h} is a region field; row {i + 2} is a community")

    def rloc(k: int) -> str:
        return f"{source}:{ridx[k] + 2}"

    def cloc(k: int) -> str:
        return f"{source}:{cidx[k] + 2}"

    C.check_tree(codes[ridx], given_parent[ridx], codes[cidx], given_parent[cidx], rloc, cloc, prob)
    prob.raise_if_any(source)

    # assemble (codes sorted)
    rorder = ridx[np.argsort(codes[ridx], kind="stable")]
    corder = cidx[np.argsort(codes[cidx], kind="stable")]
    names_arr = np.array(names, dtype=object)
    rcode = codes[rorder]
    regions = {"code": rcode, "name": names_arr[rorder], "depth": depth[rorder]}
    for name, spec in C.REGION_SPECS.items():
        regions[name] = extra_cols[name][rorder] if name in extra_cols else \
            np.full(len(rorder), C.missing_of(spec), dtype=C.dtype_of(spec))
    regions["parent"] = C.parent_rows(rcode, regions["depth"])
    m = len(corder)
    comms: dict[str, np.ndarray] = {"code": codes[corder], "name": names_arr[corder]}
    for path, spec in S.COMMUNITY_COLUMNS:
        if path == "area_type":
            comms[path] = area[corder]
        elif path in extra_cols:
            comms[path] = extra_cols[path][corder]
        else:
            comms[path] = np.full(m, C.missing_of(spec), dtype=C.dtype_of(spec))
    for k in C.LIST_FIELDS:
        comms[f"known.{k}"] = np.zeros(m, dtype=bool)
    C.store_comm_ancestors(comms, rcode)
    return C.Store(regions, comms, *empty_children(m))


def _csv_value(spec: S.Field, v: str) -> Any:
    if spec.kind == "bool":
        low = v.strip().lower()
        if low in ("true", "1", "yes", "是"):
            return True
        if low in ("false", "0", "no", "否"):
            return False
        raise ValueError(f"expected true or false, got {v!r}")
    if spec.kind == "int":
        try:
            return int(v)
        except ValueError:
            raise ValueError(f"expected {spec.expected()}, got {v!r}") from None
    return v


def empty_children(n: int) -> tuple[C.Child, C.Child, C.Child, C.Child, dict[str, C.Child]]:
    z32 = np.zeros(0, dtype=np.int32)
    off = np.zeros(n + 1, dtype=np.int64)
    fac = C.Child(z32, off, {"kind": np.zeros(0, np.int16), "area": np.zeros(0)})
    stf = C.Child(z32, off, {"roles": np.zeros(0, np.uint8), "monthly_pay": np.zeros(0),
                             "certified_social_worker": np.zeros(0, np.int8), "post": np.zeros(0, np.int8),
                             "grade": np.zeros(0, np.int8)})
    rat = C.Child(z32, np.zeros(1, np.int64), {"year": np.zeros(0, np.int16), "rating": np.zeros(0, np.int8)})
    from ._vocab import TASK_KINDS
    tsk = C.Child(z32, off, {"kind": np.zeros(0, np.int32), "role": np.zeros(0, np.int8),
                             "funded": np.zeros(0, np.int8), "on_access_list": np.zeros(0, np.int8),
                             "legal_basis": np.zeros(0, np.int8)}, list(TASK_KINDS))
    tags = {k: C.Child(z32, off, {"key": np.zeros(0, np.int32)}, list(v)) for k, v in C.TAG_VOCABS.items()}
    return fac, stf, rat, tsk, tags


# --- writing --------------------------------------------------------------------------------------

def json_chunks(st: C.Store, metadata: dict[str, Any] | None = None) -> Iterator[str]:
    """The interchange document as text chunks: one record a line, keys in a fixed order."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    yield '{"schema":' + dumps(C.SCHEMA) + ",\n"
    if metadata:
        yield '"metadata":' + dumps(metadata) + ",\n"
    yield '"regions":['
    yield ",".join("\n" + dumps(d) for d in C.region_dicts(st))
    yield '],\n"communities":['
    from . import _jsonfast

    yield from _jsonfast.chunks(st)
    yield "]}\n"


def write(st: C.Store, path: str | os.PathLike[str]) -> None:
    p = Path(path)
    kind = _base_suffix(p)
    if kind != ".json":
        raise ValueError(f"cannot write {p}: datasets are written as .json or .json.gz (got {kind or 'no suffix'!r})")

    def emit(f: Any) -> None:
        for chunk in json_chunks(st):
            f.write(chunk.encode("utf-8"))

    atomic_write(p, emit)
