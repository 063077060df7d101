"""Spreadsheets as offices keep them: Excel workbooks and CSV tables with Chinese headers.

A workbook has one sheet of communities (one row each) and, optionally, sheets of regions,
facilities, staff and tasks (child rows keyed by the community's code). A CSV file is a sheet of
communities (rows of other levels, by their code, are regions). Headers are matched through the
names, Chinese labels and aliases declared once in the record schema (``_schema``), with the unit
taken from a bracketed header (``运转经费(万元/年)``), or through a user mapping file. Cells are
read as offices write them: ``1,500``, full-width digits, ``26万元``, ``1.2万``, ``是/否``,
``有/无``, Chinese vocabulary labels, surrounding spaces; blank rows are skipped.

Counts on a community row stand for records, and only for what they say (see
:data:`COUNT_COLUMNS`): ``工作人员数`` N gives N staff members with nothing else known about them
(their roles, pay … stay missing); ``持证社工人数`` K marks K of them certified and the rest not;
a facility column with ``有``/``无`` gives a facility of that kind (its area missing), a facility
area column gives one with that area. Nothing a rule would read is invented.

Every cell is parsed by its field's own parser; every problem is named as a spreadsheet user sees
it (``社区!D17 户数: expected a whole number ≥ 0, got '一千'``) and all are reported at once.
The document built from the cells goes through the same validated path as a JSON document.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Iterator

import attrs
import numpy as np

from . import _schema as S
from ._errors import Problems, ValidationError
from ._units import canonical
from ._vocab import FACILITY_KINDS, Level

__all__ = ["read_sheets", "write_workbook", "COUNT_COLUMNS", "IGNORED_COLUMNS"]

# --- the vocabulary of spreadsheets: sheet names and special columns (defined here only) -----------

#: Sheet names accepted for each table (besides the table's own name and its record's labels).
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "communities": ("社区", "community", "communities", "村(社区)", "社区(村)", "村社区", "社区信息", "基本情况"),
    "regions": ("行政区域", "region", "regions", "区域", "区划"),
    "facilities": ("设施", "facility", "facilities", "设施用房", "服务设施"),
    "staff": ("工作人员", "staff", "staff member", "人员", "社区工作者"),
    "tasks": ("工作事项", "tasks", "task", "事项"),
}
#: Sheets that carry no data (the template's notes).
NOTE_SHEETS = ("说明", "notes", "填表说明", "readme", "_lists")

#: Count columns of a community row: header → (what it counts, words for the docs).
COUNT_COLUMNS: dict[str, tuple[str, str]] = {
    **{h: ("staff", "staff members (工作人员), nothing else known about each")
       for h in ("工作人员数", "社区工作者人数", "工作人员人数", "staff_count", "staff count")},
    **{h: ("certified", "of those, certified social workers (the others are not)")
       for h in ("持证社工人数", "持证社会工作者人数", "持证社工数", "certified_social_workers",
                 "certified social workers")},
}
#: Identity helpers of a community row: header → what it names.
NAME_COLUMNS: dict[str, str] = {
    **{h: "street" for h in ("街道", "所属街道", "乡镇(街道)", "街道(乡镇)", "乡镇街道", "street")},
    **{h: "district" for h in ("区县", "所属区县", "县(市、区)", "县区", "区(县)", "district")},
}
#: The column of a child sheet naming the community a row belongs to.
OWNER_COLUMNS = ("社区代码", "所属社区代码", "community", "community_code", "社区区划代码")
#: Columns kept for people and never read (row numbers, names of persons, remarks).
IGNORED_COLUMNS = ("序号", "编号", "no", "no.", "姓名", "name of person", "备注", "remarks", "填报人", "联系电话")

_TRUE = {"是", "有", "√", "✓", "✔", "y", "yes", "true", "1", "对"}
_FALSE = {"否", "无", "没有", "×", "✗", "✘", "n", "no", "false", "0", "不"}
_LIST_SPLIT = re.compile(r"\s*[、,，;；/|]\s*")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")
_WAN = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*万(?!元)\s*(.*)$")
_NUM_UNIT = re.compile(r"^([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(\S.*)?$")
_RATING_HEADER = re.compile(r"^(?:ratings\.)?(\d{4})\s*(?:年)?\s*(?:度)?\s*(?:考核等次|考核|rating)?$")
_EMPTY_LIST = {"无", "none", "没有", "[]"}


def _letter(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def _text(v: Any) -> str:
    s = v if isinstance(v, str) else str(v)
    return (s if s.isascii() else unicodedata.normalize("NFKC", s)).strip()


# --- loading the raw sheets --------------------------------------------------------------------------

@attrs.define
class Sheet:
    """One table as read: its name, header cells, and (spreadsheet row number, cells) per data row."""

    name: str
    header: list[Any]
    rows: list[tuple[int, list[Any]]]
    source: str  # the file, for messages

    def where(self, row: int, col: int | None = None) -> str:
        return f"{self.name}!{_letter(col) if col is not None else ''}{row}"


class _Where:
    """A cell's place (``社区!D17 户数``), formatted only when a problem names it."""

    __slots__ = ("sh", "row", "col")

    def __init__(self, sh: Sheet, row: int, col: int):
        self.sh, self.row, self.col = sh, row, col

    def __str__(self) -> str:
        return f"{self.sh.where(self.row, self.col)} {_text(self.sh.header[self.col])}"


def _excel_dependency() -> Any:
    try:
        import python_calamine
    except ImportError:
        raise ImportError("reading .xlsx workbooks needs the 'excel' extra: pip install 'shequ-gov[excel]'") from None
    return python_calamine


def _load_xlsx(p: Path) -> list[Sheet]:
    calamine = _excel_dependency()
    try:
        wb = calamine.CalamineWorkbook.from_path(str(p))
        sheets = []
        for name in wb.sheet_names:
            data = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            sheets.append(_sheet_of(name, data, str(p)))
    except ValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of a foreign file is the file's problem
        raise ValidationError([(str(p), f"cannot read as an Excel workbook (.xlsx): {exc}")], source=str(p)) from None
    return sheets


def _decode(raw: bytes, p: Path, encoding: str | None) -> str:
    if encoding:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ValidationError([(str(p), f"cannot decode as {encoding}: {exc}")], source=str(p)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ValidationError([(str(p), "cannot decode: expected UTF-8 (with or without BOM) or GB18030/GBK; "
                                        f"give encoding= ({exc})")], source=str(p)) from None


def _load_csv(p: Path, encoding: str | None) -> list[Sheet]:
    import csv
    import gzip

    try:
        raw = gzip.open(p).read() if p.name.lower().endswith(".gz") else p.read_bytes()
    except (OSError, EOFError) as exc:
        raise ValidationError([(str(p), f"cannot read: {exc}")], source=str(p)) from None
    text = _decode(raw, p, encoding)
    try:
        data = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ValidationError([(str(p), f"malformed CSV: {exc}")], source=str(p)) from None
    return [_sheet_of(p.name, data, str(p))]


def _sheet_of(name: str, data: list[list[Any]], source: str) -> Sheet:
    def blank(r: list[Any]) -> bool:
        if r and r[0] is not None and r[0] != "" and not (isinstance(r[0], str) and r[0].isspace()):
            return False
        return all(c is None or (isinstance(c, str) and not c.strip()) for c in r)

    rows = [(i + 1, list(r)) for i, r in enumerate(data)]
    rows = [(n, r) for n, r in rows if not blank(r)]
    if not rows:
        return Sheet(name, [], [], source)
    (_, header), body = rows[0], rows[1:]
    if header and (header[-1] is None or str(header[-1]).strip() == ""):  # trailing unnamed columns: keep those with data
        width = max((len(r) - next((k for k, c in enumerate(reversed(r)) if not blank([c])), len(r))
                     for _, r in body), default=0)
        while len(header) > width and (header[-1] is None or str(header[-1]).strip() == ""):
            header = header[:-1]
    return Sheet(name, header, body, source)


def load(path: str | Path, *, encoding: str | None = None) -> list[Sheet]:
    """The sheets of a workbook (``.xlsx``) or a CSV file (``.csv``, ``.csv.gz``), as read."""
    p = Path(path)
    if not p.exists():
        raise ValidationError([(str(p), "no such file")], source=str(p))
    if p.name.lower().endswith(".xlsx"):
        return _load_xlsx(p)
    return _load_csv(p, encoding)


# --- headers -------------------------------------------------------------------------------------------

@attrs.frozen
class Column:
    """What one header means: ``kind`` is ``field`` (``target`` a flat path, ``field`` its Field),
    ``tags``, ``facility_area`` / ``facility_has`` (``target`` a facility kind), ``count``
    (``staff`` / ``certified``), ``name_of`` (``street`` / ``district``), ``owner``, ``rating``
    (``target`` a year) or ``ignored``."""

    kind: str
    target: str = ""
    field: Any = None
    unit: str | None = None


def _child_headers(rec: S.Record) -> dict[str, str]:
    return {h: m.name for m in reversed(rec.members) if isinstance(m, S.Field) for h in reversed(S._names(m))}


def _headers_of(table: str) -> dict[str, Column]:
    """Every header accepted on a sheet of *table* (without brackets) → its meaning."""
    out: dict[str, Column] = {}

    def put(h: str, col: Column) -> None:
        out.setdefault(h, col)
        out.setdefault(h.lower(), col)

    if table == "communities":
        specs = dict(S.COMMUNITY_COLUMNS)
        for h, path in S.community_headers().items():
            if path in S.TAGS:
                put(h, Column("tags", path))
            elif path in specs:
                put(h, Column("field", path, specs[path]))
            else:
                put(h, Column("field", path, S.COMMUNITY.member(path)))
        for name, f in ((f.name, f) for f in S.REGION.scalars):
            for h in (name, f.zh, *f.aliases):
                put(h, Column("region_field", name, f))
        for h, kind in S.facility_area_headers().items():
            put(h, Column("facility_area", kind))
        for t in FACILITY_KINDS.terms:
            for h in (t.zh, t.en, t.key):
                put(h, Column("facility_has", t.key))
        for h, (what, _) in COUNT_COLUMNS.items():
            put(h, Column("count", what))
        for h, what in NAME_COLUMNS.items():
            put(h, Column("name_of", what))
        level = S.REGION.member("level")
        for h in (level.name, level.zh, *level.aliases):
            put(h, Column("field", "level", level))
        for name, ch in S.CHILDREN.items():
            for h in (f"{name}.given", f"{ch.record.zh}已填报"):
                put(h, Column("given", name))
    elif table == "regions":
        for h, name in S.region_headers().items():
            put(h, Column("field", name, S.REGION.member(name)))
    else:
        rec = S.CHILDREN[table].record
        for h, name in _child_headers(rec).items():
            put(h, Column("field", name, rec.member(name)))
        for h in OWNER_COLUMNS:
            put(h, Column("owner"))
    for h in IGNORED_COLUMNS:
        put(h, Column("ignored"))
    return out


def _mapping(mapping: Any) -> dict[str, tuple[str, str | None]]:
    """A user mapping (a TOML file's path or a dict): header → field path, with an optional unit."""
    if mapping is None:
        return {}
    where = str(mapping) if not isinstance(mapping, dict) else "mapping"
    if not isinstance(mapping, dict):
        try:
            mapping = tomllib.loads(Path(mapping).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValidationError([(where, f"cannot read the mapping file: {exc}")], source=where) from None
        mapping = mapping.get("columns", mapping)
    prob = Problems()
    out: dict[str, tuple[str, str | None]] = {}
    for h, v in mapping.items():
        if isinstance(v, str):
            out[h] = (v, None)
        elif isinstance(v, dict) and isinstance(v.get("field"), str) and isinstance(v.get("unit", ""), str) \
                and set(v) <= {"field", "unit"}:
            out[h] = (v["field"], v.get("unit") or None)
        else:
            prob.add(f"{where}: {h}", "expected a field name, or a table with 'field' and optionally 'unit' "
                                      f"(e.g. {{field = \"funding.operating\", unit = \"万元/年\"}}), got {v!r}")
    prob.raise_if_any(where)
    return out


def _resolve(raw: Any, table: str, known: dict[str, Column], user: dict[str, tuple[str, str | None]],
             where: str, prob: Problems) -> Column | None:
    h = _text(raw) if raw is not None else ""
    if not h:
        prob.add(str(where), "a column without a header: every column needs one (or delete the column)")
        return None
    if h in user:
        target, unit = user[h]
        col = known.get(target)
        if col is None:
            prob.add(str(where), f"the mapping sends {h!r} to {target!r}, which is not a column of {table}"
                            + _hint(target, known))
            return None
        return _with_unit(attrs.evolve(col, unit=None), unit, h, where, prob)
    # a written bilingual header: "户数(户) / households"
    for part in (h, *[x for x in h.split(" / ") if x != h]):
        base, unit = S.split_header(part)
        if part in known or part.lower() in known:  # an alias written with its unit names that unit
            col = known.get(part) or known[part.lower()]
            return _with_unit(col, unit, h, where, prob) if col.kind in ("field", "region_field", "facility_area") \
                and col.field is not None and col.field.kind in ("quantity", "count") else col
        if base in known or base.lower() in known:
            return _with_unit(known.get(base) or known[base.lower()], unit, h, where, prob)
        m = _RATING_HEADER.match(base)
        if table == "staff" and m:
            return Column("rating", m.group(1))
    prob.add(str(where), f"unknown column {h!r}" + _hint(S.split_header(h)[0], known)
             + " (or map it in a mapping file: header = \"field\")")
    return None


def _hint(h: str, known: dict[str, Column]) -> str:
    close = difflib.get_close_matches(h, [k for k in known if not k.isascii() or k.islower()], n=3, cutoff=0.4)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _with_unit(col: Column, unit: str | None, h: str, where: str, prob: Problems) -> Column | None:
    if unit is None:
        return col
    f = col.field
    target_unit = f.unit if col.kind == "field" and f is not None else "m**2" if col.kind == "facility_area" else None
    if target_unit is None or (f is not None and f.kind not in ("quantity", "count")):
        if col.kind == "field" and f is not None and f.kind == "int":
            return col  # a bracket that explains (岗位(三岗, 0 = 未纳入)) is no unit
        prob.add(str(where), f"column {h!r}: {unit!r} is not a unit this column takes")
        return None
    try:
        canonical(f"1 {_unit_text(unit)}", target_unit)
    except ValueError as exc:
        prob.add(str(where), f"column {h!r}: the unit {unit!r} does not fit ({exc})")
        return None
    return attrs.evolve(col, unit=_unit_text(unit))


def _unit_text(unit: str) -> str:
    u = _text(unit)
    return "" if u in ("个", "项", "名", "次") else u


# --- cells ------------------------------------------------------------------------------------------------

def _number_text(s: str, unit: str | None) -> str:
    s = _THOUSANDS.sub("", s.replace(" ", "") if re.fullmatch(r"[\d ,.]+", s) else s)
    m = _WAN.match(s)
    if m:
        s = f"{float(m.group(1)) * 10_000:.10g} {m.group(2)}".strip()
    m = _NUM_UNIT.match(s)
    if m and m.group(2):
        return f"{m.group(1)} {m.group(2)}"
    if m and unit:
        return f"{m.group(1)} {unit}"
    return s


def cell_value(raw: Any, f: S.Field, unit: str | None = None) -> Any:
    """An office cell as an input value of *f* (``None`` for an empty cell); ``ValueError`` if unfit."""
    if raw is None:
        return None
    if isinstance(raw, (dt.date, dt.time, dt.timedelta)):
        raise ValueError(f"expected {f.expected()}, got a date {raw}")
    k = f.kind
    if isinstance(raw, bool):
        return raw if k == "bool" else _raise(f, raw)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if k in ("count", "int") and float(raw).is_integer():
            raw = int(raw)
        if k in ("quantity", "count") and unit:
            return raw * _factor(unit, f.unit)
        if k == "bool" and raw in (0, 1):
            return bool(raw)
        return raw
    s = _text(raw)
    if not s:
        return None
    if k == "bool":
        low = s.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"expected 是/否 (yes/no), got {s!r}")
    if k in ("enum", "key"):
        return _vocab_key(s, f.vocab, f)
    if k == "keyset":
        return [] if s in _EMPTY_LIST else [_vocab_key(x, f.vocab, f) for x in _LIST_SPLIT.split(s) if x]
    if k == "int":
        t = _THOUSANDS.sub("", s)
        if re.fullmatch(r"[-+]?\d+(\.0+)?", t):
            return int(float(t))
        raise ValueError(f"expected {f.expected()}, got {s!r}")
    if k in ("quantity", "count", "share"):
        return _number_text(s, unit if k != "share" else None)
    return s


_FACTORS: dict[tuple[str, str], float] = {}


def _factor(unit: str, target: str) -> float:
    """How many *target* one *unit* is (the header's unit checked once, when the header was read)."""
    k = (unit, target)
    if k not in _FACTORS:
        _FACTORS[k] = canonical(f"1 {unit}", target)
    return _FACTORS[k]


def _raise(f: S.Field, raw: Any) -> Any:
    raise ValueError(f"expected {f.expected()}, got {raw!r}")


_LOOKUP: dict[int, dict[str, str]] = {}


def _vocab_key(s: str, vocab: Any, f: Any) -> str:
    table = _LOOKUP.get(id(vocab))
    if table is None:
        table = _LOOKUP[id(vocab)] = {}
        for t in reversed(vocab.terms):
            table.update({t.en.lower(): t.key, t.zh: t.key, t.key: t.key})
    key = table.get(s) or table.get(s.lower())
    if key is not None:
        return key
    if vocab.open:
        return s
    close = difflib.get_close_matches(s, [t.zh for t in vocab.terms] + list(vocab), n=2, cutoff=0.4)
    raise ValueError(f"expected one of {'、'.join(t.zh for t in vocab.terms)} ({', '.join(vocab)}), got {s!r}"
                     + (f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""))


def _parse(raw: Any, f: S.Field, unit: str | None, where: str, prob: Problems) -> Any:
    try:
        v = cell_value(raw, f, unit)
        if v is None or f.kind == "keyset":
            return v
        if f.kind not in S.SCALAR_KINDS:
            return v
        try:
            return f.parse(v)
        except ValueError:
            # "26万元" under a header "(万元/年)": the cell names the amount, the header the period
            if not (isinstance(v, str) and unit and "/" in unit and "/" not in v):
                raise
            try:
                return f.parse(f"{v}/{unit.rsplit('/', 1)[1]}")
            except ValueError:
                pass
            raise
    except ValueError as exc:
        shown = _text(raw) if isinstance(raw, str) else raw
        plain = f.kind in ("count", "int", "share") or not re.match(r"^\s*[-+]?[\d.]", str(shown))
        prob.add(str(where), f"expected {f.expected()}, got {shown!r}" if plain and f.kind in S.NUMERIC_KINDS + ("int",)
                 else str(exc))
        return None


_BOOLS = {**{k: True for k in _TRUE}, **{k: False for k in _FALSE}}
_NUMBER_TYPES = (int, float)


def _parse_column(values: list[Any], f: S.Field, unit: str | None, sh: Sheet, j: int, rownums: list[int],
                  prob: Problems) -> list[Any]:
    """:func:`_parse` over a whole column: numbers, flags and labels on fast paths, the rest cell by cell."""
    out: list[Any] = [None] * len(values)
    k = f.kind
    slow: list[int] = []
    if k in S.NUMERIC_KINDS or k == "int":
        idx, nums = [], []
        for i, v in enumerate(values):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                try:
                    v = float(v) if v.isascii() and "," not in v else None
                except ValueError:
                    v = None
                if v is None:
                    slow.append(i)
                    continue
            elif isinstance(v, bool) or not isinstance(v, _NUMBER_TYPES):
                slow.append(i)
                continue
            idx.append(i)
            nums.append(v)
        if idx:
            arr = np.asarray(nums, dtype=np.float64)
            if unit and k in ("quantity", "count"):
                arr = arr * _factor(unit, f.unit)
            ok = np.isfinite(arr) & (arr >= (f.low if k == "int" else 0))
            if k in ("count", "int"):
                ok &= (arr == np.floor(arr)) & (np.abs(arr) < 2**53)  # whole, and exact as a float
            if k == "int" and f.high is not None:
                ok &= arr <= f.high
            if k == "share":
                ok &= arr <= 1
            good = arr.astype(np.int64).tolist() if k in ("count", "int") and ok.all() else arr.tolist()
            for n, (i, v) in enumerate(zip(idx, good)):
                if ok[n]:
                    out[i] = int(v) if k in ("count", "int") else v
                else:
                    slow.append(i)
    elif k == "bool":
        for i, v in enumerate(values):
            if v is None or v == "":
                continue
            b = v if isinstance(v, bool) else _BOOLS.get(v.strip().lower()) if isinstance(v, str) else None
            if b is None:
                slow.append(i)
            else:
                out[i] = b
    elif k in ("enum", "key") and not f.vocab.open:
        for i, v in enumerate(values):
            if v is None or v == "":
                continue
            key = _vocab_key(v, f.vocab, f) if isinstance(v, str) and (v in f.vocab) else None
            if key is None:
                slow.append(i)
            else:
                out[i] = key
    else:
        slow = [i for i, v in enumerate(values) if v is not None and v != ""]
    seen: dict[Any, Any] = {}  # labels repeat down a column: parse each distinct cell once
    for i in slow:
        v = values[i]
        try:
            hit = seen.get(v, _MISS)
        except TypeError:
            hit = _MISS
        if hit is not _MISS:
            out[i] = list(hit) if isinstance(hit, list) else hit
            continue
        before = len(prob)
        out[i] = _parse(v, f, unit, _Where(sh, rownums[i], j), prob)
        if len(prob) == before:
            seen[v] = out[i]
    return out


_MISS = object()


def _hashable(v: Any) -> bool:
    return isinstance(v, (str, int, float)) and not isinstance(v, bool)


def _columns_of(sh: Sheet, width: int) -> list[list[Any]]:
    """The sheet's data cells column by column (short rows padded with empty cells)."""
    rows = [r + [None] * (width - len(r)) if len(r) < width else r for _, r in sh.rows]
    return [list(c) for c in zip(*rows)] if rows else [[] for _ in range(width)]


def _code(raw: Any, where: str, prob: Problems) -> str | None:
    from ._codes import normalize_code

    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and 10**11 <= raw < 10**12:
        return str(raw)
    s = str(raw).strip()
    if len(s) == 12 and s.isascii() and s.isdigit():
        return s
    if not s.isascii():
        prob.add(str(where), f"a division code is written in ASCII digits, got {s!r}")
        return None
    try:
        return normalize_code(s)
    except ValueError as exc:
        prob.add(str(where), str(exc))
        return None


# --- sheets to a document ---------------------------------------------------------------------------------

def _table_of(sheet_name: str, n_sheets: int) -> str | None:
    low = _text(sheet_name).lower()
    for table, names in SHEET_NAMES.items():
        if low in (n.lower() for n in names):
            return table
    if low in NOTE_SHEETS:
        return "notes"
    return "communities" if n_sheets == 1 else None


def _set(node: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[last] = value


class _Reader:
    """Builds an interchange document from sheets, remembering where each record came from."""

    def __init__(self, source: str, user: dict[str, tuple[str, str | None]]):
        self.source = source
        self.user = user
        self.prob = Problems()
        self.communities: list[dict[str, Any]] = []
        self.comm_where: list[str] = []
        self.regions: list[dict[str, Any]] = []
        self.region_where: list[str] = []
        self.by_code: dict[str, int] = {}
        self.names: list[tuple[str | None, str | None] | None] = []  # (street, district) names per community
        self.not_given: dict[int, list[str]] = {}  # community index -> lists marked as not given
        self.given: dict[int, list[str]] = {}  # community index -> lists marked as given (none if no rows)

    def columns(self, sh: Sheet, table: str) -> list[Column | None]:
        known = _headers_of(table)
        cols = [_resolve(h, table, known, self.user, sh.where(1 if not sh.rows else sh_header_row(sh), j),
                         self.prob) for j, h in enumerate(sh.header)]
        seen: dict[tuple[str, str], int] = {}
        for j, c in enumerate(cols):
            if c is None or c.kind == "ignored":
                continue
            key = (c.kind, c.target)
            if key in seen:
                self.prob.add(sh.where(sh_header_row(sh), j),
                              f"repeated column {_text(sh.header[j])!r}: column {_letter(seen[key])} gives it already")
                cols[j] = None
            else:
                seen[key] = j
        return cols

    def main(self, sh: Sheet) -> None:
        cols = self.columns(sh, "communities")
        present = {c.kind: c for c in cols if c is not None}
        if not any(c is not None and c.kind == "field" and c.target == "name" for c in cols) and \
                not any(c is not None and c.kind == "field" and c.target == "code" for c in cols):
            self.prob.add(sh.where(sh_header_row(sh)), "expected a column of codes (区划代码) or names (名称)")
        has_staff_count = any(c is not None and c.kind == "count" and c.target == "staff" for c in cols)
        del present
        rownums = [n for n, _ in sh.rows]
        raw_cols = _columns_of(sh, len(cols))
        pre: dict[int, list[Any]] = {}
        for j, c in enumerate(cols):
            if c is None:
                continue
            spec = {"field": c.field, "region_field": c.field, "facility_area": S.FACILITY.member("area"),
                    "facility_has": _HAS_FIELD, "count": _COUNT_FIELD, "given": _GIVEN_FIELD}.get(c.kind)
            if spec is not None and spec.kind in S.SCALAR_KINDS:
                pre[j] = _parse_column(raw_cols[j], spec, c.unit, sh, j, rownums, self.prob)
        for ri, (rownum, cells) in enumerate(sh.rows):
            rec: dict[str, Any] = {}
            level: str | None = None
            street = district = None
            facilities: list[dict[str, Any]] | None = None
            counts: dict[str, int | None] = {}
            region_vals: dict[str, tuple[str, Any]] = {}
            community_only: list[str] = []
            not_given: list[str] = []
            bad_code = False
            said_given: list[str] = []
            for j, c in enumerate(cols):
                if c is None or c.kind == "ignored":
                    continue
                raw = cells[j] if j < len(cells) else None
                where = _Where(sh, rownum, j)
                if c.kind == "field" and c.target in ("code", "parent"):
                    v = _code(raw, where, self.prob)
                    if v is not None:
                        rec[c.target] = v
                    elif raw is not None and str(raw).strip():
                        bad_code = True
                elif c.kind == "field" and c.target == "name":
                    if raw is not None and _text(raw):
                        rec["name"] = str(raw).strip()
                elif c.kind == "field" and c.target == "level":
                    if raw is not None and _text(raw):
                        try:
                            level = cell_value(raw, attrs.evolve(c.field, kind="enum", vocab=_LEVELS), None)
                        except ValueError as exc:
                            self.prob.add(str(where), str(exc))
                elif c.kind in ("field", "region_field"):
                    v = pre[j][ri]
                    if v is not None and c.kind == "region_field":
                        region_vals[c.target] = (where, v)
                    elif v is not None:
                        _set(rec, c.target, v)
                        community_only.append(where)
                elif c.kind == "given":
                    v = pre[j][ri]
                    if v is False:
                        not_given.append(c.target)
                    elif v:
                        said_given.append(c.target)
                elif c.kind == "tags":
                    if raw is not None and _text(raw):
                        s = _text(raw)
                        vocab = S.TAGS[c.target].vocab
                        try:
                            rec[c.target] = [] if s in _EMPTY_LIST else \
                                [_vocab_key(x, vocab, None) for x in _LIST_SPLIT.split(s) if x]
                        except ValueError as exc:
                            self.prob.add(str(where), str(exc))
                elif c.kind in ("facility_area", "facility_has"):
                    v = pre[j][ri]
                    if v is None:
                        continue
                    facilities = facilities if facilities is not None else []
                    if c.kind == "facility_area":
                        facilities.append({"kind": c.target, "area": v})
                    elif v and not any(x["kind"] == c.target for x in facilities):
                        facilities.append({"kind": c.target})
                elif c.kind == "count":
                    counts[c.target] = pre[j][ri]
                elif c.kind == "name_of":
                    s = _text(raw) if raw is not None else ""
                    if c.target == "street":
                        street = s or None
                    else:
                        district = s or None
            if facilities is not None:
                rec["facilities"] = facilities
            n_staff, n_cert = counts.get("staff"), counts.get("certified")
            if n_cert is not None and not has_staff_count:
                self.prob.add(sh.where(rownum), "a count of certified social workers needs the column 工作人员数 "
                                                "(staff count) beside it")
            elif n_staff is not None:
                if n_cert is not None and n_cert > n_staff:
                    self.prob.add(sh.where(rownum), f"{n_cert} certified social workers among {n_staff} staff")
                elif n_staff > 10_000:
                    self.prob.add(sh.where(rownum), f"{n_staff} staff members: expected at most 10,000")
                else:
                    staff: list[dict[str, Any]] = [{} for _ in range(n_staff)]
                    if n_cert is not None:
                        for k, s in enumerate(staff):
                            s["certified_social_worker"] = k < n_cert
                    rec["staff"] = staff
            code = rec.get("code")
            is_region = level not in (None, "community") or (code is not None and _depth(code) < 4)
            for table in not_given:
                if rec.get(table):
                    self.prob.add(sh.where(rownum), f"{table} are marked as not given, yet some are given")
                elif not is_region:
                    self.not_given.setdefault(len(self.communities), []).append(table)
            if is_region:
                rec.update({k: v for k, (_, v) in region_vals.items()})
                for w in community_only + (["counts"] if any(v is not None for v in counts.values()) else []) \
                        + (["facilities"] if facilities else []):
                    self.prob.add(str(w) if w not in ("counts", "facilities") else sh.where(rownum),
                                  "a community's field, but this row is a region (its code is not a community's)")
                if level is not None:
                    rec["level"] = level
                self.regions.append(rec)
                self.region_where.append(sh.where(rownum))
                continue
            for target, (w, v) in region_vals.items():
                if target in FACILITY_KINDS and isinstance(v, bool):  # 社会组织孵化基地 有/无 on a community row
                    rec.setdefault("facilities", [])
                    if v and not any(x["kind"] == target for x in rec["facilities"]):
                        rec["facilities"].append({"kind": target})
                else:
                    self.prob.add(str(w), "a region's field, but this row is a community")
            if said_given:
                self.given[len(self.communities)] = said_given
            self.communities.append(rec)
            self.comm_where.append(sh.where(rownum))
            self.names.append((street, district) if not bad_code else None)

    def extra_regions(self, sh: Sheet) -> None:
        cols = self.columns(sh, "regions")
        for rownum, cells in sh.rows:
            rec: dict[str, Any] = {}
            for j, c in enumerate(cols):
                if c is None or c.kind == "ignored":
                    continue
                raw = cells[j] if j < len(cells) else None
                where = _Where(sh, rownum, j)
                if c.target in ("code", "parent"):
                    v = _code(raw, where, self.prob)
                elif c.target == "name":
                    v = str(raw).strip() if raw is not None and str(raw).strip() else None
                elif c.target == "level":
                    try:
                        v = cell_value(raw, attrs.evolve(c.field, kind="enum", vocab=_LEVELS), None)
                    except ValueError as exc:
                        self.prob.add(str(where), str(exc))
                        v = None
                else:
                    v = _parse(raw, c.field, c.unit, where, self.prob)
                if v is not None:
                    rec[c.target] = v
            self.regions.append(rec)
            self.region_where.append(sh.where(rownum))

    def children(self, sh: Sheet, table: str) -> dict[str, list[dict[str, Any]]]:
        cols = self.columns(sh, table)
        if not any(c is not None and c.kind == "owner" for c in cols):
            self.prob.add(sh.where(sh_header_row(sh)), "expected a column 社区代码 (community code) naming the "
                                                       "community of each row")
        rec_type = S.CHILDREN[table].record
        out: dict[str, list[dict[str, Any]]] = {}
        rownums = [n for n, _ in sh.rows]
        raw_cols = _columns_of(sh, len(cols))
        pre: dict[int, list[Any]] = {}
        for j, c in enumerate(cols):
            if c is not None and c.kind in ("field", "rating"):
                f = S.RATING_FIELD if c.kind == "rating" else c.field
                pre[j] = _parse_column(raw_cols[j], f, c.unit, sh, j, rownums, self.prob) \
                    if f.kind in S.SCALAR_KINDS else \
                    [None if v is None or v == "" else _parse(v, f, c.unit, _Where(sh, rownums[i], j), self.prob)
                     for i, v in enumerate(raw_cols[j])]
        required = [m.name for m in rec_type.members if isinstance(m, S.Field) and m.required]
        given = {c.target: j for j, c in enumerate(cols) if c is not None and c.kind == "field"}
        owners: dict[Any, str] = {}  # each community's rows repeat its code
        for ri, (rownum, cells) in enumerate(sh.rows):
            rec: dict[str, Any] = {}
            owner = None
            for j, c in enumerate(cols):
                if c is None or c.kind == "ignored":
                    continue
                if c.kind == "owner":
                    raw = cells[j] if j < len(cells) else None
                    owner = owners.get(raw) if _hashable(raw) else None
                    if owner is None:
                        owner = _code(raw, _Where(sh, rownum, j), self.prob)
                        if owner is not None:
                            owners[raw] = owner
                    if owner is None and (raw is None or not str(raw).strip()):
                        self.prob.add(str(_Where(sh, rownum, j)), "required: the code of the community this row "
                                                                  "belongs to")
                elif c.kind == "rating":
                    v = pre[j][ri]
                    if v is not None:
                        rec.setdefault("ratings", {})[c.target] = v
                else:
                    v = pre[j][ri]
                    if v is not None:
                        rec[c.target] = v
            for name in required:
                j = given.get(name)
                if name not in rec and (j is None or raw_cols[j][ri] is None or str(raw_cols[j][ri]).strip() == ""):
                    self.prob.add(f"{sh.where(rownum)}", f"required: {rec_type.member(name).zh} / {name}")
            if owner is not None:
                out.setdefault(owner, []).append(rec)
        return out


_LEVELS = __import__("shequ_gov._vocab", fromlist=["LEVELS"]).LEVELS
_HAS_FIELD = S.Field("has", "bool", "有", "present")
_COUNT_FIELD = S.Field("n", "count", "人数", "count")
_GIVEN_FIELD = S.Field("given", "bool", "已填报", "given")


def sh_header_row(sh: Sheet) -> int:
    return sh.rows[0][0] - 1 if sh.rows else 1


def _depth(code: str) -> int:
    from ._codes import code_level

    return code_level(code).depth


def wanted(path: str | Path, **options: Any) -> bool:
    """Whether *path* is read as a spreadsheet: a workbook, any table given *options*
    (skeleton, encoding, mapping), and a CSV that is not in the division-list layout (a ``level``
    or ``urban_rural_code`` column) or not UTF-8."""
    name = str(path).lower()
    if name.endswith(".xlsx"):
        return True
    if not (name.endswith(".csv") or name.endswith(".csv.gz")):
        return False
    if any(v is not None for v in options.values()):
        return True
    import gzip
    import zlib

    try:
        with (gzip.open(path, "rb") if name.endswith(".gz") else open(path, "rb")) as f:
            first = f.readline(1 << 16).decode("utf-8-sig")
    except (OSError, EOFError, zlib.error):
        return False  # a damaged or non-gzip file: the guarded reader names the problem
    except UnicodeDecodeError:
        return True
    header = {h.strip().lower() for h in first.split(",")}
    return not header & {"level", "urban_rural_code"}


def read_store(path: str | Path, *, skeleton: Any = None, encoding: str | None = None, mapping: Any = None) -> Any:
    """A validated column store from a workbook or office CSV (see the module docstring)."""
    from . import _columns as C

    got = read_sheets(path, skeleton=skeleton, encoding=encoding, mapping=mapping)
    try:
        return C.from_dict(got["document"], source=str(path))
    except ValidationError as exc:
        def place(loc: str) -> str:
            m = re.match(r"^(communities|regions)\[(\d+)\](?: \(\d+\))?", loc)
            if not m:
                return loc
            rows = got[m.group(1)]
            i = int(m.group(2))
            return (rows[i] if i < len(rows) else m.group(0)) + loc[m.end():]
        raise ValidationError([(place(loc), msg) for loc, msg in exc.problems], source=str(path)) from None


def read_sheets(path: str | Path, *, skeleton: Any = None, encoding: str | None = None,
                mapping: Any = None) -> dict[str, Any]:
    """Read a workbook or office CSV into an interchange document, validated cell by cell.

    Returns ``{"document": …, "communities": [place of each], "regions": [place of each]}``,
    the places as a spreadsheet user names rows (``社区!17``).
    """
    sheets = load(path, encoding=encoding)
    src = str(path)
    r = _Reader(src, _mapping(mapping))
    tables: dict[str, Sheet] = {}
    for sh in sheets:
        table = _table_of(sh.name, len(sheets))
        if table == "notes" or (not sh.header and not sh.rows):
            continue
        if table is None:
            r.prob.add(sh.name, f"unknown sheet {sh.name!r}: expected one of "
                                + ", ".join(f"{v[0]} ({k})" for k, v in SHEET_NAMES.items()))
            continue
        if table in tables:
            r.prob.add(sh.name, f"a second sheet of {table} ({tables[table].name!r} is the first)")
            continue
        tables[table] = sh
    if "communities" not in tables:
        r.prob.add(src, "no sheet of communities (社区)")
    r.prob.raise_if_any(src)
    r.main(tables["communities"])
    if "regions" in tables:
        r.extra_regions(tables["regions"])
    for table in S.CHILDREN:
        if table not in tables or not tables[table].rows:
            # no rows: the lists stay missing, except where the community sheet says they were given
            for i, c in enumerate(r.communities):
                if table in r.given.get(i, ()) and table not in c:
                    c[table] = []
            continue
        if table == "staff" and any(c is not None and c.kind == "count"
                                    for c in r.columns(tables["communities"], "communities")):
            r.prob.add(tables["staff"].name, "staff are given both as a sheet and as counts on the community rows: "
                                             "give one or the other")
            continue
        if table == "facilities" and any("facilities" in c for c in r.communities):
            r.prob.add(tables["facilities"].name, "facilities are given both as a sheet and as columns on the "
                                                  "community rows: give one or the other")
            continue
        rows = r.children(tables[table], table)
        codes = {c.get("code") for c in r.communities}
        for owner in rows:
            if owner not in codes:
                r.prob.add(tables[table].name, f"rows for community {owner}, which is not on the sheet of communities")
        for i, c in enumerate(r.communities):
            if table not in r.not_given.get(i, ()):
                c[table] = rows.get(c.get("code"), [])
    if skeleton is not None:
        _attach(r, skeleton)
    r.prob.raise_if_any(src)
    doc = {"schema": "shequ-gov/1", "regions": r.regions, "communities": r.communities}
    return {"document": doc, "communities": r.comm_where, "regions": r.region_where}


# --- the skeleton -----------------------------------------------------------------------------------------

def _attach(r: _Reader, skeleton: Any) -> None:
    """Take every region above the communities from *skeleton* (a Dataset or a path), and codes for
    rows without one from their names (community, street, district)."""
    from ._dataset import Dataset

    sk = skeleton if isinstance(skeleton, Dataset) else Dataset.read(skeleton)
    by_name: dict[str, list[str]] | None = None
    for i, c in enumerate(r.communities):
        if c.get("code") is not None:
            continue
        if r.names[i] is None:  # its code was refused already
            continue
        street, district = r.names[i]
        name = c.get("name")
        if not name or not street:
            r.prob.add(r.comm_where[i], "without a code, a community is found in the skeleton by its name and its "
                                        "street's name (街道), optionally its district's (区县)")
            continue
        if by_name is None:
            by_name = _names_index(sk)
        cands = [k for k in by_name.get(name, ()) if _matches(sk, k, street, district)]
        if len(cands) == 1:
            c["code"] = cands[0]
        elif not cands:
            r.prob.add(r.comm_where[i], f"no community {name!r} under a street {street!r}"
                                        + (f" in {district!r}" if district else "") + " in the skeleton")
        else:
            r.prob.add(r.comm_where[i], f"{name!r} under {street!r} is ambiguous in the skeleton: "
                                        f"{', '.join(cands[:5])}; give its code or its district (区县)")
    given = {x.get("code"): x for x in r.regions if x.get("code")}
    needed: dict[str, None] = {}
    for i, c in enumerate(r.communities):
        code = c.get("code")
        if code is None:
            continue
        if code in sk:
            known = sk.community(code)
            c.setdefault("name", known.name)
            if "area_type" not in c and known.area_type is not None:
                c["area_type"] = known.area_type.value
            ancestors = sk.ancestors(code)
        else:
            street = code[:9] + "000"
            if street not in sk:
                r.prob.add(r.comm_where[i], f"its street {street} is not in the skeleton")
                continue
            ancestors = [sk.region(street), *sk.ancestors(street)]
        for a in ancestors:
            needed.setdefault(a.code, None)
    for code in needed:
        base = sk.region(code).to_dict()
        mine = given.pop(code, None)
        if mine is not None:
            base.update({k: v for k, v in mine.items() if v is not None})
            r.regions[r.regions.index(mine)] = base
        else:
            r.regions.append(base)
            r.region_where.append(f"skeleton {code}")


def _names_index(sk: Any) -> dict[str, list[str]]:
    st = sk._st
    out: dict[str, list[str]] = {}
    for code, name in zip(st.communities["code"].tolist(), st.communities["name"].tolist()):
        out.setdefault(name, []).append(f"{code:012d}")
    return out


def _matches(sk: Any, code: str, street: str, district: str | None) -> bool:
    anc = sk.ancestors(code)
    names = {a.level: a.name for a in anc}
    if names.get(Level.STREET) != street:
        return False
    return district is None or names.get(Level.DISTRICT) == district or names.get(Level.CITY) == district


# --- writing a workbook ---------------------------------------------------------------------------------

#: How a canonical unit is written in a header (and read back: each is a unit alias).
UNIT_WORDS = {"m**2": "平方米", "yuan/year": "元/年", "yuan/month": "元/月", "minute": "分钟", "km": "公里",
              "household": "户", "person": "人"}


def header_of(f: S.Field, path: str) -> str:
    """The bilingual header a workbook gives a field: ``户数(户) / households``."""
    unit = UNIT_WORDS.get(f.unit, f.unit)
    return f"{f.zh}({unit}) / {path}" if unit and f.kind in ("quantity", "count") else f"{f.zh} / {path}"


def _out(v: Any, f: S.Field) -> Any:
    """A canonical JSON value as a workbook cell (labels for vocabularies, 是/否 for flags)."""
    if v is None:
        return None
    if f.kind == "bool":
        return "是" if v else "否"
    if f.kind in ("enum", "key"):
        return f.vocab.term(v).zh if v in f.vocab else v
    if f.kind == "keyset":
        return "、".join(f.vocab.term(k).zh for k in v) if v else "无"
    return v


def _get(node: dict[str, Any], path: str) -> Any:
    for p in path.split("."):
        if not isinstance(node, dict) or p not in node:
            return None
        node = node[p]
    return node


def layout(doc: dict[str, Any] | None = None) -> dict[str, list[tuple[str, Any]]]:
    """The sheets of a workbook and their columns: sheet name → [(header, getter)].

    With *doc*, only the year columns of ratings that occur are laid out.
    """
    comm: list[tuple[str, Any]] = [("区划代码 / code", lambda c: c.get("code")), ("名称 / name", lambda c: c.get("name"))]
    for m in S.COMMUNITY.members:
        if isinstance(m, S.Field) and m.kind in S.SCALAR_KINDS:
            comm.append((header_of(m, m.name), lambda c, m=m: _out(c.get(m.name), m)))
        elif isinstance(m, S.Group):
            for path, f in m.record.columns(m.name + "."):
                comm.append((header_of(f, path), lambda c, f=f, path=path: _out(_get(c, path), f)))
        elif isinstance(m, S.Tags):
            comm.append((f"{m.zh} / {m.name}", lambda c, m=m: None if c.get(m.name) is None else
                         ("、".join(m.vocab.term(k).zh for k in c[m.name]) or "无")))
        elif isinstance(m, S.Children):
            comm.append((f"{m.record.zh}已填报 / {m.name}.given", lambda c, m=m: "是" if c.get(m.name) is not None
                         else "否"))
    regions: list[tuple[str, Any]] = []
    for m in S.REGION.members:
        if isinstance(m, S.Field):
            regions.append((header_of(m, m.name) if m.kind in S.SCALAR_KINDS else f"{m.zh} / {m.name}",
                            lambda r, m=m: _out(r.get(m.name), m) if m.kind in S.SCALAR_KINDS else r.get(m.name)))
    sheets = {SHEET_NAMES["regions"][0]: regions, SHEET_NAMES["communities"][0]: comm}
    for name, ch in S.CHILDREN.items():
        cols: list[tuple[str, Any]] = [("社区代码 / community", None)]
        for m in ch.record.members:
            if isinstance(m, S.Field):
                cols.append((header_of(m, m.name), lambda x, m=m: _out(x.get(m.name), m)))
            elif isinstance(m, S.YearMap):
                years = sorted({y for c in (doc or {}).get("communities", []) for x in c.get(name) or ()
                                for y in (x.get(m.name) or {})})
                for y in years:
                    cols.append((f"{y}年{m.field.zh} / {m.name}.{y}",
                                 lambda x, y=y, m=m: _out((x.get(m.name) or {}).get(y), m.field)))
        sheets[SHEET_NAMES[name][0]] = cols
    return sheets


def _openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:
        raise ImportError("writing .xlsx workbooks needs the 'excel' extra: pip install 'shequ-gov[excel]'") from None
    return openpyxl


def write_workbook(doc: dict[str, Any], f: Any) -> None:
    """Write an interchange document as a workbook (the layout :func:`read_sheets` reads) to file *f*."""
    openpyxl = _openpyxl()
    wb = openpyxl.Workbook(write_only=True)
    for sheet, cols in layout(doc).items():
        ws = wb.create_sheet(sheet)
        ws.append([h for h, _ in cols])
        if sheet == SHEET_NAMES["regions"][0]:
            for r in doc["regions"]:
                ws.append([get(r) for _, get in cols])
        elif sheet == SHEET_NAMES["communities"][0]:
            for c in doc["communities"]:
                ws.append([get(c) for _, get in cols])
        else:
            table = next(k for k, v in SHEET_NAMES.items() if v[0] == sheet)
            for c in doc["communities"]:
                for x in c.get(table) or ():
                    ws.append([c["code"]] + [get(x) for _, get in cols[1:]])
    wb.save(f)
