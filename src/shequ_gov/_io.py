"""Reading and writing datasets: the JSON interchange format (optionally gzip-compressed) and CSV.

CSV is read in the layout of the real division list (``code,name,level,parent_code,
urban_rural_code,urban_rural_year``); any further column named after a community field (a flat
path such as ``households`` or ``funding.operating``) or a region field is read too, an empty cell
being missing. Files are written atomically: to a temporary file beside the target, then renamed.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from . import _columns as C
from . import _schema as S
from ._atomic import atomic_write, is_gzip_path  # the one atomic writer (moved; kept importable here)
from ._codes import levels_of
from ._errors import Problems, ValidationError
from ._progress import QUIET, Progress
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
    return is_gzip_path(path)  # any case, as the writer decides


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def read(path: str | os.PathLike[str], progress: Progress = QUIET) -> C.Store:
    """Read a dataset file: ``.json``, ``.json.gz``, ``.csv``, ``.csv.gz`` or a ``.parquet`` directory.

    *progress* shows the reading on a terminal (see ``_progress``)."""
    p = Path(path)
    kind = _base_suffix(p)
    if not p.exists():
        raise ValidationError([(str(p), "no such file")], source=str(p))
    if kind in (".json", ".csv", ".parquet") and not (kind == ".parquet" and _is_gzip(p)):
        with progress.step(f"reading {p.name}", unit="communities"):
            if kind == ".json":
                from ._jsonread import read_json as read_json_file

                return read_json_file(p, progress=progress.update)
            if kind == ".csv":
                return read_csv(p)
            from ._arrow import read_parquet

            return read_parquet(p)
    raise ValidationError([(str(p), f"unknown file type {kind or '(none)'!r}: expected .json, .json.gz, "
                                    ".csv, .csv.gz or .parquet")], source=str(p))


def read_csv(p: Path) -> C.Store:
    from ._jsonread import text_lines

    try:
        with open(p, "rb") as raw:
            reader = csv.reader(text_lines(p, raw))
            header = next(reader, None)
            rows = list(reader)
    except (OSError, csv.Error) as exc:
        raise ValidationError([(str(p), f"cannot read as UTF-8 CSV: {exc}")], source=str(p)) from None
    return csv_store(header, rows, str(p))


def _csv_locator(source: str, rows: np.ndarray | None = None) -> Any:
    """Names row *i* of a table gathered from a CSV by its line (``file.csv:7``)."""
    if rows is None:
        return lambda i: f"{source}:{i + 2}"
    return lambda i: f"{source}:{int(rows[i]) + 2}"


def _csv_columns(header: list[str], source: str,
                 prob: Problems) -> tuple[dict[str, int], dict[str, tuple[S.Field, str | None]]]:
    """Map the header to columns: identity columns by name, fields by flat path or alias (an alias
    may carry a unit in brackets, ``运转经费(万元/年)``). Every header problem names its column."""
    alias = S.region_headers() | S.community_headers()
    specs = dict(S.COMMUNITY_COLUMNS) | C.REGION_SPECS
    known = tuple(dict.fromkeys(DIVISION_COLUMNS + ("area_type", "parent") + tuple(specs)))
    idx: dict[str, int] = {}
    fields: dict[str, tuple[S.Field, str | None]] = {}
    for j, raw in enumerate(header):
        h = raw.strip().lstrip("\ufeff").strip()
        where = f"{source}:1:{j + 1}"
        if not h:
            prob.add(where, f"column {j + 1} has no name (header {raw!r}): every column needs one")
            continue
        unit: str | None = None
        if h in DIVISION_COLUMNS or h in ("area_type", "parent"):
            target = "parent_code" if h == "parent" else h
        else:
            base, bracket = S.split_header(h)
            target = alias.get(h)
            if target is not None:
                unit = bracket if h not in specs else None  # an alias as written names its own unit
            else:
                target, unit = alias.get(base), bracket
            if target == "parent":
                target = "parent_code"
            elif target in S.TAGS:
                prob.add(where, f"column {h!r}: the list {target!r} cannot be read from one CSV cell")
                continue
            elif target is None or (target not in specs and target not in ("code", "name")):
                prob.add(where, C._unknown_key(h, known).replace("field", "column", 1))
                continue
        if target in idx:
            prob.add(where, f"repeated column {h!r}: column {idx[target] + 1} ({header[idx[target]].strip()!r}) "
                            f"gives {target} already")
            continue
        idx[target] = j
        if target in specs:
            spec = specs[target]
            if unit is not None and spec.kind not in ("quantity", "count"):
                prob.add(where, f"column {h!r}: {target} is {spec.expected()} and takes no unit")
                continue
            if unit is not None:
                try:
                    spec.parse(f"1 {unit}")
                except ValueError as exc:
                    prob.add(where, f"column {h!r}: the unit {unit!r} does not fit {target}: {exc}")
                    continue
            fields[target] = (spec, unit)
    return idx, fields


def _csv_cells(spec: S.Field, unit: str | None, values: Any, rows: list[int]) -> list[Any]:
    """The cells of *rows* as input values for *spec* (empty = missing)."""
    out: list[Any] = []
    for i in rows:
        v = values[i].strip()
        if v == "":
            out.append(None)
        elif spec.kind == "bool":
            low = v.lower()
            out.append(True if low in ("true", "1", "yes", "是") else False if low in ("false", "0", "no", "否") else v)
        elif spec.kind == "int":
            out.append(int(v) if v.isascii() and v.lstrip("-").isdigit() and len(v) < 10 else v)
        elif unit is not None:
            out.append(f"{v} {unit}")
        else:
            out.append(v)
    return out


def csv_store(header: list[str] | None, rows: list[list[str]], source: str) -> C.Store:
    """A CSV's rows (see the module docstring for the columns) gathered into columns with the
    schema's encoders and assembled by the one path every input takes (``_columns.assemble``)."""
    prob = Problems()
    if not header:
        prob.add(f"{source}:1", "empty file: expected a header row with at least code and name")
        prob.raise_if_any(source)
    col, fields = _csv_columns(header, source, prob)
    for req in ("code", "name"):
        if req not in col:
            prob.add(f"{source}:1", f"missing column {req!r} (header: {', '.join(h.strip() for h in header)})")
    prob.raise_if_any(source)
    width = len(header)
    for i, r in enumerate(rows):
        if len(r) != width:
            prob.add(f"{source}:{i + 2}", f"expected {width} cells, got {len(r)}")
    prob.raise_if_any(source)
    n = len(rows)
    cols = list(zip(*rows)) if rows else [()] * width
    get = lambda name: cols[col[name]] if name in col else None  # noqa: E731
    codes = C._codes([c.strip() or None for c in get("code")], lambda i: f"{source}:{i + 2}:code", prob, "",
                     required=True)
    depth = levels_of(np.where(codes >= 0, codes, 10**11))
    names = list(get("name"))  # kept as written
    for i in [i for i, x in enumerate(names) if not x.strip()]:
        prob.add(f"{source}:{i + 2}:name", f"required: a non-empty name, got {names[i]!r}")
    level_txt = get("level")
    if level_txt is not None:
        lookup = {x.value: x.depth for x in Level}
        given = np.array([lookup.get(x.strip(), -1) for x in level_txt], dtype=np.int8)
        for i in np.flatnonzero(given < 0):
            prob.add(f"{source}:{i + 2}:level", f"unknown level {level_txt[i]!r} (expected one of: "
                                                f"{', '.join(x.value for x in Level)})")
        for i in np.flatnonzero((given >= 0) & (given != depth) & (codes >= 0)):
            prob.add(f"{source}:{i + 2}:level", f"level {level_txt[i]!r} was given, but the code's digits make "
                                                f"{codes[i]:012d} a {list(Level)[depth[i]].value}")
    parent_txt = get("parent_code")
    given_parent = np.full(n, -1, dtype=np.int64)
    if parent_txt is not None:
        given_parent = C._codes([x.strip() or None for x in parent_txt], lambda i: f"{source}:{i + 2}:parent_code",
                                prob, "", required=False)
    cidx = np.flatnonzero(depth == 4)
    ridx = np.flatnonzero(depth != 4)
    # area types: an explicit column wins; else the urban-rural code where one is given
    area = np.full(n, -1, dtype=np.int8)
    ur = get("urban_rural_code")
    if ur is not None:
        keys = np.array([x.strip() for x in ur], dtype=object)
        for code_txt, at in URBAN_RURAL_AREA_TYPES.items():
            area[keys == code_txt] = AREA_TYPES.index(at)
        for i in np.flatnonzero((keys != "") & (area < 0)):
            prob.add(f"{source}:{i + 2}:urban_rural_code", f"unknown urban-rural code {ur[i]!r} (expected one of: "
                                                           f"{', '.join(URBAN_RURAL_AREA_TYPES)})")
    at_spec, at_unit = fields.pop("area_type", (None, None))
    if at_spec is not None:
        given_at = C.encode_values(at_spec, _csv_cells(at_spec, None, get("area_type"), list(range(n))),
                                   lambda i: f"{source}:{i + 2}:area_type", prob, "")
        area = np.where(given_at >= 0, given_at, area).astype(np.int8)
    # the fields: community fields on community rows, region fields on region rows
    comm_specs = dict(S.COMMUNITY_COLUMNS)
    comm_cols: dict[str, np.ndarray] = {"area_type": area[cidx]}
    region_cols: dict[str, np.ndarray] = {}
    for path, (spec, unit) in fields.items():
        values = cols[col[path]]
        head = header[col[path]].strip()
        for rows_of, table, out, kind in ((cidx, comm_specs, comm_cols, "community"),
                                         (ridx, C.REGION_SPECS, region_cols, "region")):
            if path in table:
                out[path] = C.encode_values(spec, _csv_cells(spec, unit, values, rows_of.tolist()),
                                            lambda k, rows_of=rows_of: f"{source}:{int(rows_of[k]) + 2}:{head}",
                                            prob, "")
                continue
            for i in rows_of.tolist():
                if values[i].strip():
                    other = "region" if kind == "community" else "community"
                    prob.add(f"{source}:{i + 2}:{head}", f"{path} is a {other} field; row {i + 2} is a {kind}")
    for path, spec in S.COMMUNITY_COLUMNS:
        comm_cols.setdefault(path, np.full(len(cidx), spec.missing, dtype=spec.dtype))
    for name, spec in C.REGION_SPECS.items():
        region_cols.setdefault(name, np.full(len(ridx), spec.missing, dtype=spec.dtype))
    r = C.Gathered(codes[ridx], [names[i] for i in ridx.tolist()], given_parent[ridx], region_cols,
                   where=_csv_locator(source, ridx))
    c = C.Gathered(codes[cidx], [names[i] for i in cidx.tolist()], given_parent[cidx], comm_cols,
                   known={k: np.zeros(len(cidx), dtype=bool) for k in S.LIST_FIELDS},
                   where=_csv_locator(source, cidx))
    return C.assemble(r, c, prob, source)


# --- writing --------------------------------------------------------------------------------------

def json_chunks(st: C.Store, metadata: dict[str, Any] | None = None,
                done: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """The interchange document in UTF-8 chunks: one record a line, keys in a fixed order.
    *done*, if given, is called with the number of communities in each chunk of them."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    head = '{"schema":' + dumps(C.SCHEMA) + ",\n"
    if metadata:
        head += '"metadata":' + dumps(metadata) + ",\n"
    yield (head + '"regions":[' + ",".join("\n" + dumps(d) for d in C.region_dicts(st))
           + '],\n"communities":[').encode("utf-8")
    from . import _jsonfast

    for chunk, count in _jsonfast.chunks(st):
        yield chunk
        if done is not None:
            done(count)
    yield b"]}\n"


def write(st: C.Store, path: str | os.PathLike[str], *, partition_by: str | None = None,
          fingerprint: Callable[[], str] | None = None, progress: Progress = QUIET) -> None:
    """Write by suffix: ``.json``/``.json.gz`` (interchange JSON) or ``.parquet`` (a directory)."""
    p = Path(path)
    kind = _base_suffix(p)
    if kind == ".parquet" and not _is_gzip(p):
        from ._arrow import write_parquet

        with progress.step(f"writing {p.name}"):
            write_parquet(st, p, partition_by=partition_by, fingerprint=fingerprint() if fingerprint else None)
        return
    if kind != ".json":
        raise ValueError(f"cannot write {p}: datasets are written as .json or .json.gz, or as a .parquet "
                         f"directory (got {kind or 'no suffix'!r})")
    if partition_by is not None:
        raise ValueError("partition_by applies to Parquet output (.parquet) only")

    def emit(f: Any) -> None:
        done = [0]

        def count(n: int) -> None:
            done[0] += n
            progress.update(done[0])

        for chunk in json_chunks(st, done=count):
            f.write(chunk)

    with progress.step(f"writing {p.name}", total=st.n_communities, unit="communities"):
        atomic_write(p, emit)
