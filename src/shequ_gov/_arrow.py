"""Arrow tables, Parquet directories and pandas frames of a dataset, derived from the schema.

Five tables (``regions``, ``communities``, ``facilities``, ``staff``, ``tasks``), one column per
declared field: counts as int64, quantities and shares as float64 in the canonical unit, flags as
bool, vocabulary keys as dictionary strings, codes as 12-digit strings; nested fields by their flat
path (``funding.operating``). Nulls are missing values. A community's tag lists are list columns
(null = missing, [] = none); ``n_facilities``, ``n_staff``, ``n_tasks`` give the number of its
records in the child table (null = the list is missing). Child tables name their community in
``community``; a staff member's roles are a list column and its ratings a map from year to rating.

Reading validates like any input (``_columns.assemble``): a missing or unknown table or column, a
value of the wrong type or out of bounds, a record whose community does not exist, all reported at
once as a :class:`~shequ_gov.ValidationError` naming table, row and column.

pyarrow is the ``arrow`` extra, pandas the ``pandas`` extra; without them these functions raise an
ImportError naming the extra to install.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from ._extras import require
from . import _columns as C
from . import _schema as S
from ._errors import Problems, ValidationError
from ._vocab import Level

C_SCALE = 10**10  # the digits below a province
TABLES = ("regions", "communities", "facilities", "staff", "tasks")
_LEVELS = [lv.value for lv in Level]


def _pa() -> Any:
    return require("pyarrow", "arrow")


# --- writing -------------------------------------------------------------------------------------

def _codes_array(pa: Any, codes: np.ndarray, mask: np.ndarray | None = None) -> Any:
    pc = require("pyarrow.compute", "arrow")
    arr = pa.array(codes.astype(np.int64), mask=mask)
    return pc.cast(arr, pa.string())  # every code has 12 digits (no province starts with 0)


def _field_array(pa: Any, f: S.Field, col: np.ndarray, strings: list[str] | None = None) -> Any:
    k = f.kind
    if k == "count":
        miss = np.isnan(col)
        return pa.array(np.where(miss, 0, col).astype(np.int64), mask=miss)
    if f.numeric:
        return pa.array(col, mask=np.isnan(col), type=pa.float64())
    if k == "bool":
        return pa.array(col == 1, mask=col < 0)
    if k == "enum":
        return pa.DictionaryArray.from_arrays(pa.array(col.astype(np.int8), mask=col < 0),
                                              pa.array(list(f.vocab or ()), pa.string()))
    if k == "int":
        return pa.array(col.astype(np.int8), mask=col < 0)
    if k == "key":
        return pa.DictionaryArray.from_arrays(pa.array(col.astype(np.int32)), pa.array(strings or [], pa.string()))
    if k == "keyset":
        nbits = len(f.vocab or ())
        bits = ((col.astype(np.int64)[:, None] >> np.arange(nbits)) & 1).astype(bool)
        offsets = np.zeros(len(col) + 1, dtype=np.int32)
        np.cumsum(bits.sum(axis=1), out=offsets[1:])
        keys = pa.DictionaryArray.from_arrays(pa.array(np.nonzero(bits)[1].astype(np.int8)),
                                              pa.array(list(f.vocab or ()), pa.string()))
        return pa.ListArray.from_arrays(pa.array(offsets), keys)
    raise TypeError(k)


def _list_array(pa: Any, offsets: np.ndarray, values: Any, known: np.ndarray) -> Any:
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values, mask=pa.array(~known))


def to_arrow(st: C.Store, metadata: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The dataset as five pyarrow tables (see the module docstring)."""
    pa = _pa()
    meta = {"shequ_gov.schema": C.SCHEMA, **(metadata or {})}
    r, cm = st.regions, st.communities
    cols: dict[str, Any] = {
        "code": _codes_array(pa, r["code"]),
        "name": pa.array(r["name"], pa.string()),
        "level": pa.DictionaryArray.from_arrays(pa.array(r["depth"].astype(np.int8)), pa.array(_LEVELS[:4])),
        "parent": _codes_array(pa, np.where(r["parent"] >= 0, r["code"][np.maximum(r["parent"], 0)], 0),
                               r["parent"] < 0) if len(r["code"]) else pa.array([], pa.string()),
    }
    for name, f in C.REGION_SPECS.items():
        cols[name] = _field_array(pa, f, r[name])
    tables = {"regions": cols}
    ccode = _codes_array(pa, cm["code"])
    rcode = r["code"]
    cols = {"code": ccode, "name": pa.array(cm["name"], pa.string()),
            "parent": _codes_array(pa, rcode[cm["parent"]] if len(rcode) else np.zeros(0, np.int64))}
    for path, f in S.COMMUNITY_COLUMNS:
        cols[path] = _field_array(pa, f, cm[path])
    for name in S.CHILDREN:
        known = cm[f"known.{name}"]
        n = np.diff(getattr(st, name).offsets)
        cols[f"n_{name}"] = pa.array(n.astype(np.int32), mask=~known)
    for name, t in S.TAGS.items():
        child = st.tags[name]
        keys = pa.DictionaryArray.from_arrays(pa.array(child.cols["key"].astype(np.int32)),
                                              pa.array(child.strings or [], pa.string()))
        cols[name] = _list_array(pa, child.offsets, keys, cm[f"known.{name}"])
    tables["communities"] = cols
    for name, ch in S.CHILDREN.items():
        child: C.Child = getattr(st, name)
        cols = {"community": pa.DictionaryArray.from_arrays(pa.array(child.owner), ccode) if len(child)
                else pa.array([], pa.string())}
        for k, f in ch.record.child_columns().items():
            cols[k] = _field_array(pa, f, child.cols[k], child.strings)
        for ym in S.year_maps(ch.record).values():
            t: C.Child = getattr(st, ym.name)
            counts = np.diff(t.offsets)
            keys = pc_cast_str(pa, t.cols["year"])
            items = _field_array(pa, ym.field, t.cols[ym.field.name])
            cols[ym.name] = pa.MapArray.from_arrays(pa.array(t.offsets.astype(np.int32)), keys,
                                                    items.cast(pa.string()), mask=pa.array(counts == 0))
        tables[name] = cols
    out = {}
    for name, cols in tables.items():
        table = pa.table(cols)
        out[name] = table.replace_schema_metadata({**meta, "shequ_gov.table": name})
    return out


def code_strings(codes: np.ndarray) -> Any:
    """12-digit codes as an Arrow string array, built from one byte buffer (no Python string per code)."""
    pa = _pa()
    digits = np.char.zfill(codes.astype("U12"), 12).astype("S12") if len(codes) else np.zeros(0, "S12")
    offsets = np.arange(0, 12 * len(codes) + 1, 12, dtype=np.int32)
    return pa.StringArray.from_buffers(len(codes), pa.py_buffer(offsets), pa.py_buffer(digits.tobytes()))


def pc_cast_str(pa: Any, ints: np.ndarray) -> Any:
    pc = require("pyarrow.compute", "arrow")
    return pc.cast(pa.array(ints.astype(np.int64)), pa.string())


def write_parquet(st: C.Store, path: str | os.PathLike[str], *, partition_by: str | None = None,
                  fingerprint: str | None = None) -> None:
    """Write a directory of Parquet tables atomically (a temporary directory, then renamed).

    ``partition_by="province"`` writes each table as a hive-style dataset
    (``communities/province=430000000000/part-0.parquet``), the layout Dask and DuckDB read.
    """
    pa = _pa()
    pq = require("pyarrow.parquet", "arrow")
    if partition_by not in (None, "province"):
        raise ValueError(f"partition_by: expected None or 'province', got {partition_by!r}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    meta = {"shequ_gov.fingerprint": fingerprint} if fingerprint else {}
    tables = to_arrow(st, meta)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        codes = {"regions": st.regions["code"], "communities": st.communities["code"]}
        for name in S.CHILDREN:
            codes[name] = st.communities["code"][getattr(st, name).owner]
        for name, table in tables.items():
            table = _for_parquet(pa, table)
            if partition_by is None:
                pq.write_table(table, tmp / f"{name}.parquet", compression="zstd")
                continue
            if not table.num_rows:
                (tmp / name).mkdir()
                pq.write_table(table, tmp / name / "part-0.parquet", compression="zstd")
                continue
            province = _codes_array(pa, codes[name] // C_SCALE * C_SCALE)
            pq.write_to_dataset(table.append_column("province", province), tmp / name, partition_cols=["province"],
                                compression="zstd", basename_template="part-{i}.parquet",
                                existing_data_behavior="error")
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
            os.replace(target, old / target.name)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _for_parquet(pa: Any, table: Any) -> Any:
    """*table* as stored in Parquet: a child table's ``community`` as plain strings.

    A dictionary of 620,000 community codes is written whole in every row group and read back
    once per batch (seconds); plain strings are dictionary-encoded by Parquet itself, smaller on
    disk and read in a fraction of the time. Vocabulary columns keep their dictionary type."""
    i = table.schema.get_field_index("community")
    if i >= 0 and pa.types.is_dictionary(table.schema.field(i).type):
        table = table.set_column(i, "community", table.column(i).cast(table.schema.field(i).type.value_type))
    return table


# --- reading -------------------------------------------------------------------------------------

def partitions(path: str | os.PathLike[str]) -> list[str]:
    """The province codes of a directory written with ``partition_by="province"`` (``[]`` if it is not)."""
    d = Path(path) / "communities"
    if not d.is_dir():
        return []
    return sorted(x.name.split("=", 1)[1] for x in d.iterdir() if x.is_dir() and x.name.startswith("province="))


@contextmanager
def _system_pool() -> Iterator[None]:
    """Arrow allocates from the C library's allocator meanwhile (then the previous pool again).

    Reading the national dataset through pyarrow's default mimalloc pool spends 2–3 s of system
    time returning and re-faulting pages; through malloc, under one. Buffers keep the pool they
    came from, so the switch affects nothing read before or after."""
    pa = _pa()
    old = pa.default_memory_pool()
    if old.backend_name == "system":
        yield
        return
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(old)


def read_parquet(path: str | os.PathLike[str], *, province: str | None = None) -> C.Store:
    """Read a directory written by :func:`write_parquet` (partitioned or not), validated.

    With *province* (a 12-digit code, of a directory partitioned by province), only that
    province's partition of every table: a dataset of its own, as ``Dataset.subtree`` gives.
    """
    with _system_pool():
        return _read_parquet(path, province)


def _read_parquet(path: str | os.PathLike[str], province: str | None) -> C.Store:
    pq = require("pyarrow.parquet", "arrow")
    root = Path(path)
    source = str(root)
    if not root.is_dir():
        raise ValidationError([(source, "expected a directory of Parquet tables (regions.parquet, "
                                        "communities.parquet, …)")], source=source)
    tables: dict[str, Any] = {}
    p = Problems()
    for name in TABLES:
        for candidate in (root / f"{name}.parquet", root / name):
            if candidate.exists():
                try:
                    if province is not None and candidate.is_dir():
                        part = candidate / f"province={province}"
                        if part.is_dir():
                            t = pq.read_table(part)
                        else:  # no rows of this table in the province: its schema, empty
                            t = pq.read_schema(next(candidate.rglob("*.parquet"))).empty_table()
                    elif candidate.is_dir():
                        t = pq.read_table(candidate, partitioning="hive")
                    elif name in S.CHILDREN:  # read when its turn comes: one child table in memory at a time
                        t = _Deferred(candidate, pq.read_schema(candidate))
                        tables[name] = t
                        break
                    else:
                        t = _read_file(pq, candidate)
                    _validate(t)
                    _ = [f.name for f in t.schema], t.schema.metadata
                except Exception as exc:  # pyarrow raises several types for damaged files
                    p.add(f"{name}", f"cannot read {candidate.name} as Parquet: {type(exc).__name__}: {exc}")
                    break
                if "province" in t.column_names and candidate.is_dir():
                    t = t.drop_columns(["province"])
                tables[name] = t
                break
    try:
        store = from_arrow(tables, source=source, unreadable={loc for loc, _ in p.items}, validated=True,
                           consume=True)
    except ValidationError as exc:
        raise ValidationError(p.items + exc.problems, source=source) from None
    except Exception as exc:  # a damaged file that pyarrow read but cannot convert
        raise ValidationError(p.items + [("", f"damaged Parquet data: {type(exc).__name__}: {exc}")],
                              source=source) from None
    p.raise_if_any(source)
    return store


_NUMPY = {"bool": np.bool_, "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
          "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
          "halffloat": np.float16, "float": np.float32, "double": np.float64}


def _np(arr: Any) -> np.ndarray:
    """The values of a numeric or boolean pyarrow array as numpy, zero-copy where the layout allows
    (read-only then); the values under nulls are unspecified (fill or mask them first).

    (``Array.to_numpy`` imports pandas, 0.3–0.6 s in a fresh process, and copies booleans.)"""
    pa = _pa()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    dt = _NUMPY.get(str(arr.type))
    if dt is None:
        return arr.to_numpy(zero_copy_only=False)
    n, buf = len(arr), arr.buffers()[1]
    if dt is np.bool_:
        if buf is None or not n:
            return np.zeros(n, bool)
        bits = np.unpackbits(np.frombuffer(buf, np.uint8, count=(arr.offset + n + 7) // 8), bitorder="little")
        return bits[arr.offset:arr.offset + n].view(bool)
    if buf is None or not n:
        return np.zeros(n, dt)
    return np.frombuffer(buf, dt, count=n, offset=arr.offset * np.dtype(dt).itemsize)


def _filled(arr: Any, fill: Any) -> np.ndarray:
    """:func:`_np` with *fill* under the nulls (``pc.fill_null`` with a Python value imports pandas)."""
    vals = _np(arr)
    if arr.null_count:
        vals = np.where(_np(arr.is_null()), fill, vals)
    return vals


class _Deferred:
    """A Parquet file whose schema is known and whose rows are read on :meth:`load`."""

    def __init__(self, path: Path, schema: Any):
        self.path, self.schema = path, schema

    @property
    def column_names(self) -> list[str]:
        return self.schema.names

    def load(self, name: str, p: Problems) -> Any:
        """The table, validated; ``None`` (its problem added) if it cannot be read."""
        try:
            t = _read_file(require("pyarrow.parquet", "arrow"), self.path)
            _validate(t)
            return t
        except Exception as exc:  # pyarrow raises several types for damaged files
            p.add(name, f"cannot read {self.path.name} as Parquet: {type(exc).__name__}: {exc}")
            return None


def _read_file(pq: Any, path: Path) -> Any:
    """One Parquet file as a table, a row group at a time (``ParquetFile.read`` cannot return a list
    of dictionary keys spanning several row groups; ``read_table`` imports pandas)."""
    pa = _pa()
    schema = pq.ParquetFile(path).schema_arrow
    leaves = [f"{x.name}.key_value.{part}" for x in schema if pa.types.is_map(x.type)
              for part, typ in (("key", x.type.key_type), ("value", x.type.item_type)) if pa.types.is_string(typ)]
    f = pq.ParquetFile(path, read_dictionary=leaves or None)
    if f.num_row_groups <= 1:
        return f.read()
    return pa.concat_tables([f.read_row_group(i) for i in range(f.num_row_groups)])


def _validate(t: Any) -> None:
    """``Table.validate(full=True)``, with a dictionary shared by several chunks checked once."""
    pa = _pa()
    seen: set[tuple[int, int]] = set()
    for col in t.columns:
        for chunk in col.chunks:
            if pa.types.is_dictionary(chunk.type):
                d = chunk.dictionary
                key = (d.offset, len(d), *((b.address, b.size) if b is not None else (0, 0) for b in d.buffers()))
                if key not in seen:
                    d.validate(full=True)
                    seen.add(key)
                chunk.indices.validate(full=True)
                if len(chunk.indices) - chunk.indices.null_count:
                    lo, hi = _min_max(chunk.indices)
                    if lo < 0 or hi >= len(d):
                        raise ValueError(f"dictionary index out of bounds in column of type {chunk.type}")
            else:
                chunk.validate(full=True)


def _min_max(arr: Any) -> tuple[int, int]:
    pc = require("pyarrow.compute", "arrow")
    mm = pc.min_max(arr)
    return mm["min"].as_py(), mm["max"].as_py()


def _column(table: Any, name: str, keep_dict: bool = False) -> Any:
    """A column as one array; dictionary-encoded values decoded unless *keep_dict* (a small
    dictionary of vocabulary keys, checked once per entry)."""
    pa = _pa()
    col = table.column(name)
    if pa.types.is_dictionary(col.type):
        if keep_dict and col.num_chunks > 1:
            col = col.unify_dictionaries()
        col = col.combine_chunks()
        if not (keep_dict and pa.types.is_string(col.type.value_type)):
            col = col.cast(col.type.value_type)
        return col
    return col.combine_chunks()


def _strings(col: Any) -> list:
    return col.to_pylist()


def _arrow_codes(col: Any, where: Any, p: Problems, key: str, required: bool) -> np.ndarray:
    pa = _pa()
    pc = require("pyarrow.compute", "arrow")
    if pa.types.is_integer(col.type):
        col = pc.cast(col, pa.string())
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        p.add(f"{where(0)}.{key}" if len(col) else key, f"expected 12-digit codes as strings, got {col.type}")
        return np.full(len(col), -1, np.int64)
    if _fixed12(col) is not None:
        return _np(pc.cast(col, pa.int64())).copy()
    ok = _filled(pc.match_substring_regex(col, r"^[1-9][0-9]{11}$"), False)
    if ok.all() and col.null_count == 0:
        return _np(pc.cast(col, pa.int64())).copy()
    return C._codes(col.to_pylist(), where, p, key, required)


def _fixed12(col: Any) -> np.ndarray | None:
    """The bytes (n × 12, uint8, zero-copy) of a string array in which every value is 12 ASCII
    digits, the first not 0; ``None`` if any value is not (the caller checks value by value)."""
    pa = _pa()
    n = len(col)
    if col.null_count or not n or not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return None
    wide = pa.types.is_large_string(col.type)
    _, obuf, dbuf = col.buffers()
    off = np.frombuffer(obuf, np.int64 if wide else np.int32, count=n + 1, offset=col.offset * (8 if wide else 4))
    lo = int(off[0])
    if int(off[-1]) - lo != 12 * n or (n > 1 and not (np.diff(off) == 12).all()):
        return None
    digits = np.frombuffer(dbuf, np.uint8, count=12 * n, offset=lo).reshape(n, 12)
    if digits.min() < 48 or digits.max() > 57 or digits[:, 0].min() < 49:
        return None
    return digits


def _arrow_field(f: S.Field, col: Any, where: Any, p: Problems, key: str) -> np.ndarray:
    """A column of an Arrow table as stored for field *f*, each bad value a problem at its row."""
    pa = _pa()
    pc = require("pyarrow.compute", "arrow")
    t = col.type
    n = len(col)
    if pa.types.is_dictionary(t):
        if f.kind == "enum":
            a = _vocab_indices(col, f.vocab)
            if a is not None:
                return a.astype(f.dtype, copy=False)
        col = col.cast(t.value_type)
        t = col.type
    if f.numeric:
        if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)):
            return C.encode_values(f, col.to_pylist(), where, p, key)
        try:
            # float64 without nulls is used as it is (read-only); anything else converted once
            arr = _np(col).astype(np.float64, copy=bool(col.null_count)) if str(t) in _NUMPY else \
                _np(pc.cast(col, pa.float64())).copy()
        except Exception:  # decimals beyond float
            return C.encode_values(f, col.to_pylist(), where, p, key)
        if col.null_count:
            arr[_np(col.is_null())] = np.nan
        with np.errstate(invalid="ignore"):
            good = arr >= 0  # NaN (missing) is sorted out below
            if not pa.types.is_integer(t):
                good &= arr < np.inf
                if f.kind == "count":
                    good &= arr == np.floor(arr)
            if f.kind == "share":
                good &= arr <= 1
        bad = np.flatnonzero(~good)
        bad = bad[~np.isnan(arr[bad])]
        if len(bad):
            vals = [None] * n
            for i in bad.tolist():
                vals[i] = float(arr[i])
            C.encode_values(f, vals, where, p, key)
            arr = arr.copy()
            arr[bad] = np.nan
        return arr.astype(f.dtype, copy=False)
    if f.kind == "bool":
        if pa.types.is_boolean(t):
            a = np.where(_np(col.is_null()), -1,
                         _filled(col, False).astype(np.int8))
            return a.astype(f.dtype)
        return C.encode_values(f, col.to_pylist(), where, p, key)
    if f.kind == "int":
        if pa.types.is_floating(t):  # whole numbers as floats (a pandas column with missing values)
            x = _filled(col, -1.0)
            if np.all((x == np.floor(x)) & (np.abs(x) < 2**31)):
                col, t = pa.array(x.astype(np.int64), mask=np.asarray(_np(col.is_null()))), \
                    pa.int64()
        if pa.types.is_integer(t):
            a = _filled(col, -1).astype(np.int64)
            bad = np.flatnonzero((a != -1) & ((a < f.low) | (a > (f.high if f.high is not None else a))))
            if len(bad):
                vals = [None] * n
                for i in bad.tolist():
                    vals[i] = int(a[i])
                C.encode_values(f, vals, where, p, key)
                a[bad] = -1
            return a.astype(f.dtype)
        return C.encode_values(f, col.to_pylist(), where, p, key)
    if f.kind == "enum":
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            a = _vocab_indices(col, f.vocab)
            if a is not None:
                return a.astype(f.dtype)
            idx = pc.index_in(col, value_set=pa.array(list(f.vocab or ()), pa.string()))
            a = _filled(idx, -2).astype(np.int64)
            a[np.asarray(_np(col.is_null()))] = -1
            bad = np.flatnonzero(a == -2)
            if len(bad):
                vals: list[Any] = [None] * n
                for i in bad.tolist():
                    vals[i] = col[i].as_py()
                C.encode_values(f, vals, where, p, key)
                a[bad] = -1
            return a.astype(f.dtype)
        return C.encode_values(f, col.to_pylist(), where, p, key)
    raise TypeError(f.kind)


def _lookup(col: Any, keys: Any) -> np.ndarray:
    """The position in *keys* of each value of a string (or dictionary-encoded) column: -1 for
    null, -2 for a value not among the keys. Each distinct value is looked up once."""
    pa = _pa()
    enc = col if pa.types.is_dictionary(col.type) else col.dictionary_encode()
    index = {k: i for i, k in enumerate(keys)}
    lut = np.array([index.get(x, -2) if type(x) is str else -2 for x in enc.dictionary.to_pylist()] + [-1],
                   dtype=np.int8 if len(index) < 100 else np.int64)
    if not enc.null_count:
        return lut[_np(enc.indices)]
    return lut[_filled(enc.indices, -1)]  # -1 (null) picks the last entry


def _vocab_indices(col: Any, vocab: Any) -> np.ndarray | None:
    """:func:`_lookup` in a vocabulary; ``None`` if a value is not one of its keys (the caller names it)."""
    a = _lookup(col, list(vocab or ()))
    return None if (a == -2).any() else a


def _expected_columns(name: str) -> tuple[str, ...]:
    if name == "regions":
        return S.REGION.keys
    if name == "communities":
        return (("code", "name", "parent") + tuple(p for p, _ in S.COMMUNITY_COLUMNS)
                + tuple(f"n_{c}" for c in S.CHILDREN) + tuple(S.TAGS))
    rec = S.CHILDREN[name].record
    return ("community",) + rec.keys


def _check_columns(name: str, table: Any, p: Problems) -> None:
    allowed = _expected_columns(name)
    for col in table.column_names:
        if col not in allowed:
            p.add(f"{name}.{col}", C._unknown_key(col, allowed).replace("field", "column", 1))
    for col in ("code", "name") if name in ("regions", "communities") else ("community",):
        if col not in table.column_names:
            p.add(f"{name}.{col}", "missing column (required)")


class _Rows:
    """Names row *i* of an Arrow table: ``staff[12]`` or ``communities[3] (431302001001)``."""

    def __init__(self, name: str, codes: np.ndarray | None = None):
        self.name, self.codes = name, codes

    def __call__(self, i: int) -> str:
        c = -1 if self.codes is None else int(self.codes[i])
        return f"{self.name}[{i}]" + (f" ({c:012d})" if c >= 0 else "")


def _utf8_ok(name: str, table: Any, p: Problems) -> bool:
    try:
        table.validate(full=True)
    except Exception as exc:  # invalid UTF-8, offsets out of range …
        p.add(name, f"damaged table: {exc}")
        return False
    return True


def from_arrow(tables: Mapping[str, Any], source: str | None = None, unreadable: set[str] = frozenset(),
               validated: bool = False, consume: bool = False) -> C.Store:
    """Build a store from Arrow tables (see the module docstring), validated like any input.

    *unreadable* names tables that could not be read (their problem is reported by the caller);
    *validated*: the tables' buffers were already checked (:func:`_validate`); *consume*: each
    table is removed from *tables* (a dict) once read, so that its memory can be freed."""
    pa = _pa()
    pc = require("pyarrow.compute", "arrow")
    p = Problems()
    tables = tables if consume and isinstance(tables, dict) else dict(tables)
    for name in list(tables):
        t = tables[name]
        if name not in TABLES:
            p.add(name, C._unknown_key(name, TABLES).replace("field", "table", 1))
            continue
        if t is None:
            del tables[name]
            continue
        if not isinstance(t, (pa.Table, _Deferred)):
            p.add(name, f"expected a pyarrow Table, got {type(t).__name__}")
            continue
        meta = t.schema.metadata or {}
        version = meta.get(b"shequ_gov.schema")
        if version is not None and version.decode(errors="replace") != C.SCHEMA:
            p.add(name, f"written for schema {version.decode(errors='replace')!r}, expected {C.SCHEMA!r}")
        _check_columns(name, t, p)
        if not validated:
            _utf8_ok(name, t, p)
    missing = [name for name in ("regions", "communities") if name not in tables]
    for name in missing:
        if name not in unreadable:
            p.add(name, "missing table (required)")
    if missing and not p:
        p.add(missing[0], "the table could not be read")
    p.raise_if_any(source)

    # regions
    rt = tables["regions"]
    nr = rt.num_rows
    rwhere = _Rows("regions")
    rcode = _arrow_codes(_column(rt, "code"), rwhere, p, "code", True)
    rwhere.codes = rcode
    rnames = _names(_column(rt, "name"), rwhere, p)
    rgiven = _arrow_codes(_column(rt, "parent"), rwhere, p, "parent", False) if "parent" in rt.column_names \
        else np.full(nr, -1, np.int64)
    from ._codes import levels_of

    depth = levels_of(np.where(rcode >= 0, rcode, 10**11))
    for i in np.flatnonzero((rcode >= 0) & (depth == 4)).tolist():
        p.add(f"{rwhere(i)}.code", f"{rcode[i]:012d} is a community code: communities go in 'communities'")
        rcode[i] = -1
    if "level" in rt.column_names:
        lv = _column(rt, "level", keep_dict=True)
        idx = _lookup(lv, _LEVELS) if pa.types.is_string(getattr(lv.type, "value_type", lv.type)) else \
            _filled(pc.index_in(lv.cast(pa.string()), value_set=pa.array(_LEVELS)), -1)
        for i in np.flatnonzero(((idx != depth) & (rcode >= 0)) | (idx < 0)).tolist():
            if lv[i].as_py() is None:
                continue
            p.add(f"{rwhere(i)}.level", f"level {lv[i].as_py()!r} does not fit the code (expected "
                                        f"{_LEVELS[depth[i]] if rcode[i] >= 0 else 'one of ' + ', '.join(_LEVELS[:4])})")
    rcols = {name: (_arrow_field(f, _column(rt, name, True), rwhere, p, name) if name in rt.column_names
                    else np.full(nr, f.missing, f.dtype)) for name, f in C.REGION_SPECS.items()}
    r = C.Gathered(rcode, rnames, rgiven, rcols, where=rwhere)

    c = gather_communities(tables["communities"], tables, p, consume=consume)
    return C.assemble(r, c, p, source)


def gather_communities(table: Any, tables: Mapping[str, Any], p: Problems, *, consume: bool = False,
                       owners: Mapping[str, np.ndarray] | None = None) -> C.Gathered:
    """The communities table *table* and its child tables (``tables[name]``) gathered, each problem
    added to *p*. *owners*, when given, holds the community row of each child table's rows (the
    child rows are then not looked up by their ``community`` column); *consume*: see
    :func:`from_arrow`."""
    pa = _pa()
    ct = table
    n = ct.num_rows
    cwhere = _Rows("communities")
    ccode_strings = _column(ct, "code")
    ccode = _arrow_codes(ccode_strings, cwhere, p, "code", True)
    cwhere.codes = ccode
    for i in np.flatnonzero((ccode >= 0) & (ccode % 1000 == 0)).tolist():
        p.add(f"{cwhere(i)}.code", f"{ccode[i]:012d} is not a community code (its last three digits are 000)")
        ccode[i] = -1
    cnames = _names(_column(ct, "name"), cwhere, p)
    cgiven = _arrow_codes(_column(ct, "parent"), cwhere, p, "parent", False) if "parent" in ct.column_names \
        else np.full(n, -1, np.int64)
    ccols = {path: (_arrow_field(f, _column(ct, path, True), cwhere, p, path) if path in ct.column_names
                    else np.full(n, f.missing, f.dtype)) for path, f in S.COMMUNITY_COLUMNS}
    known: dict[str, np.ndarray] = {}
    children = C.empty_children_input()
    # community codes → input rows, for the child tables' ``community`` column
    order = np.argsort(ccode, kind="stable")
    sorted_codes = ccode[order]
    for name, tg in S.TAGS.items():
        if name not in ct.column_names:
            known[name] = np.zeros(n, bool)
            continue
        col = _column(ct, name)
        if not (pa.types.is_list(col.type) or pa.types.is_large_list(col.type)):
            p.add(f"communities.{name}", f"expected a list of keys, got {col.type}")
            known[name] = np.zeros(n, bool)
            continue
        known[name] = ~np.asarray(_np(col.is_null()))
        children[name] = _tag_rows(tg, col, cwhere, p)
    for name, ch in S.CHILDREN.items():
        count_col = f"n_{name}"
        counts = np.full(n, -1, np.int64)
        if count_col in ct.column_names:
            cc = _column(ct, count_col)
            if pa.types.is_integer(cc.type) or pa.types.is_floating(cc.type):
                x = _filled(cc, -1)
                counts = np.where(x == np.floor(x), x, -2).astype(np.int64)
            else:
                p.add(f"communities.{count_col}", f"expected whole numbers, got {cc.type}")
        known[name] = counts >= 0
        t = tables.get(name)
        if isinstance(t, _Deferred):
            t = t.load(name, p)
        if t is None:
            for i in np.flatnonzero(counts > 0).tolist():
                p.add(f"{cwhere(i)}.{count_col}", f"{counts[i]} {name} records announced, but there is no {name} table")
            continue
        children.update(_child_rows(name, ch, t, sorted_codes, order, counts, cwhere, p, ccode_strings,
                                    None if owners is None else owners.get(name)))
        del t
        if consume:
            tables.pop(name, None)
    return C.Gathered(ccode, cnames, cgiven, ccols, known, children, cwhere)


_YEAR = re.compile(r"[0-9]{4}")


#: Every character Python's ``str.strip`` removes.
_SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
          "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")  # tests/test_formats.py checks the list


def _names(col: Any, where: Any, p: Problems) -> list:
    pa = _pa()
    values = col.to_pylist()
    if not col.null_count and pa.types.is_string(col.type) and len(col):
        pc = require("pyarrow.compute", "arrow")
        if _np(pc.utf8_length(pc.utf8_trim(col, characters=_SPACE))).min() > 0:
            return values  # every name has a character that is not white space
    return C._names_of_rows(values, where, p, None)


def _list_parts(col: Any) -> tuple[np.ndarray, Any]:
    """(offsets as int64, the values) of a list column (nulls are empty lists)."""
    offsets = np.asarray(_np(col.offsets), dtype=np.int64)
    values = col.values  # the values of every list, nulls included, in offset order
    values = values.slice(int(offsets[0]), int(offsets[-1] - offsets[0])) if len(offsets) else values
    offsets = offsets - offsets[0] if len(offsets) else offsets
    return offsets, values


def _keys(values: Any, vocab: Any, where_of: Any, p: Problems, open_: bool) -> tuple[C.Interned, np.ndarray]:
    """String keys as an Interned column; a problem for each null, empty or unlisted one. Returns the
    column and the mask of the values kept."""
    pa = _pa()
    if pa.types.is_dictionary(values.type) and not pa.types.is_string(values.type.value_type):
        values = values.cast(values.type.value_type)
    if pa.types.is_dictionary(values.type):
        enc = values  # already one string per key, indices per value
    elif not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        p.add(where_of(0) if len(values) else "keys", f"expected strings, got {values.type}")
        return C.Interned([], np.zeros(0, np.int32)), np.zeros(len(values), bool)
    else:
        enc = values.dictionary_encode()
    strings = enc.dictionary.to_pylist()
    ok_string = np.array([type(x) is str and (x in vocab._index or (open_ and bool(x.strip()))) for x in strings],
                         dtype=bool)
    if not enc.null_count and ok_string.all():  # every key fits: the indices as they are
        codes = _np(enc.indices)
        return C.Interned(strings, codes.astype(np.int32, copy=False)), np.ones(len(codes), bool)
    codes = _filled(enc.indices, -1).astype(np.int64)
    ok = (codes >= 0) & (ok_string[np.maximum(codes, 0)] if len(strings) else np.zeros(len(codes), bool))
    for i in np.flatnonzero(~ok).tolist():
        v = strings[codes[i]] if codes[i] >= 0 else None
        try:
            vocab.check(v)
            msg = f"expected a non-empty key, got {v!r}"
        except ValueError as exc:
            msg = str(exc)
        p.add(where_of(i), msg)
    return C.Interned(strings, codes[ok].astype(np.int32)), ok


def _tag_rows(tg: S.Tags, col: Any, where: Any, p: Problems) -> dict[str, Any]:
    offsets, values = _list_parts(col)
    owner = np.repeat(np.arange(len(offsets) - 1, dtype=np.int32), np.diff(offsets))
    keys, ok = _keys(values, tg.vocab,
                     lambda k: f"{where(int(owner[k]))}.{tg.name}[{int(k - offsets[owner[k]])}]", p, tg.vocab.open)
    return {"owner": owner if ok.all() else owner[ok], "cols": {"key": keys}}


def _child_rows(name: str, ch: S.Children, t: Any, sorted_codes: np.ndarray, order: np.ndarray,
                counts: np.ndarray, cwhere: Any, p: Problems, ccodes: Any,
                owner: np.ndarray | None = None) -> dict[str, dict[str, Any]]:
    """The rows of child table *t*; *owner*, if known, is the community row of each (the table then
    needs no ``community`` column)."""
    pa = _pa()
    rec = ch.record
    m = t.num_rows
    where = _Rows(name)
    if owner is None:
        raw = t.column("community")
        owner = _owners_as_written(raw, ccodes, counts) if (cwhere.codes >= 0).all() else None
    if owner is not None:  # as written: no code to look up
        code = None
    elif pa.types.is_dictionary(raw.type) and raw.null_count == 0:  # codes once, rows as indices
        raw = raw.combine_chunks()
        dict_codes = _arrow_codes(raw.dictionary, lambda i: f"{name}.community (dictionary entry {i})", p,
                                  "", True)
        code = dict_codes[_np(raw.indices)] if len(dict_codes) else \
            np.full(m, -1, np.int64)
    else:
        code = _arrow_codes(_column(t, "community"), lambda i: f"{name}[{i}]", p, "community", True)
    if owner is None:  # not grouped in the communities' order, or counts that do not match: look up each
        pos = np.searchsorted(sorted_codes, code)
        pos[pos >= len(sorted_codes)] = 0
        found = (code >= 0) & (sorted_codes[pos] == code) if len(sorted_codes) else np.zeros(m, bool)
        for i in np.flatnonzero(~found & (code >= 0)).tolist():
            p.add(f"{name}[{i}].community", f"no community with code {code[i]:012d} in the communities table")
        owner = np.where(found, order[pos], -1) if len(sorted_codes) else np.full(m, -1)
        have = np.bincount(owner[owner >= 0], minlength=len(counts))
        for i in np.flatnonzero(have != np.maximum(counts, 0)).tolist():
            p.add(f"{cwhere(i)}.n_{name}", f"{'missing' if counts[i] < 0 else counts[i]} {name} announced, "
                                           f"{have[i]} rows in the {name} table")
    cols: dict[str, Any] = {}
    for k, f in rec.child_columns().items():
        if k not in t.column_names:
            if f.required:
                p.add(f"{name}.{k}", "missing column (required)")
            cols[k] = np.full(m, f.missing, f.dtype) if f.kind not in ("key", "keyset") else (
                [""] * m if f.kind == "key" else np.zeros(m, f.dtype))
            continue
        col = _column(t, k, keep_dict=True)
        if f.kind == "key":
            keys, ok = _keys(col, f.vocab, lambda i, k=k: f"{where(i)}.{k}", p, True)
            codes = np.zeros(m, np.int32)
            codes[ok] = keys.codes
            cols[k] = C.Interned(keys.strings, codes)
        elif f.kind == "keyset":
            if not (pa.types.is_list(col.type) or pa.types.is_large_list(col.type)):
                p.add(f"{name}.{k}", f"expected a list of keys, got {col.type}")
                cols[k] = np.zeros(m, f.dtype)
                continue
            offsets, values = _list_parts(col)
            owner_k = np.repeat(np.arange(m), np.diff(offsets))
            keys, ok = _keys(values, f.vocab, lambda i, k=k: f"{where(int(owner_k[i]))}.{k}", p, False)
            lut = np.asarray(C.intern_keys(keys, f.vocab)[1], dtype=np.int64)
            one = np.zeros(len(ok), np.int64)  # each key as its bit (0 for a key not kept)
            one[ok] = np.left_shift(1, lut)
            bits = np.zeros(m, np.int64)
            full = np.diff(offsets) > 0
            if full.any():  # the lists are consecutive: OR over each non-empty one
                bits[full] = np.bitwise_or.reduceat(one, offsets[:-1][full])
            cols[k] = bits.astype(f.dtype)
        else:
            a = _arrow_field(f, col, where, p, k)
            if f.required:
                for i in np.flatnonzero(a == f.missing).tolist():
                    if col[i].as_py() is None:
                        p.add(f"{where(i)}.{k}", f"required: the {rec.en} {f.en} ({f.expected()})")
            cols[k] = a
    for check in rec.checks:
        bad, field, message = check(cols)
        for i in np.flatnonzero(bad).tolist():
            p.add(f"{where(i)}.{field}", message(i))
    out = {name: {"owner": owner, "cols": cols}}
    for ym in S.year_maps(rec).values():
        out[ym.name] = _year_map_rows(ym, t, m, where, p)
    return out


def _owners_as_written(col: Any, ccodes: Any, counts: np.ndarray) -> np.ndarray | None:
    """The community row of each child row when the child table is laid out as it is written: its
    rows grouped by community, in the order of the communities table, as many as announced
    (``n_<table>``), each naming its community by the same 12 digits (compared as bytes, not
    parsed). ``None`` otherwise: each row is then looked up by its code."""
    pa = _pa()
    counts = np.maximum(counts, 0)  # a missing list has no records
    if pa.types.is_dictionary(col.type) or int(counts.sum()) != len(col):
        return None
    cbytes = _fixed12(ccodes)
    if cbytes is None:
        return None
    cwords = cbytes.view(np.uint32) if cbytes.flags.c_contiguous else None
    owner = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
    start = 0
    for chunk in col.chunks:
        b = _fixed12(chunk)
        if b is None or cwords is None:
            return None
        if not np.array_equal(cwords[owner[start:start + len(chunk)]], b.view(np.uint32)):
            return None
        start += len(chunk)
    return owner


def _year_map_rows(ym: S.YearMap, t: Any, m: int, where: Any, p: Problems) -> dict[str, Any]:
    """A map column (year → value) as the rows of its child table, each bad entry a problem.

    Read a chunk at a time: the years and values of each (dictionary-encoded as Parquet gives
    them, see :func:`_read_file`) are checked once per distinct entry."""
    pa = _pa()
    empty = {"owner": np.zeros(0, np.int64), "cols": {"year": np.zeros(0, np.int16),
                                                       ym.field.name: np.zeros(0, ym.field.dtype)}}
    if ym.name not in t.column_names:
        return empty
    column = t.column(ym.name)
    chunks = column.chunks
    if not pa.types.is_map(column.type):  # from pandas: (year, value) pairs or dicts, as Python objects
        try:
            rows = [None if v is None else [(str(a), b) for a, b in (v.items() if isinstance(v, dict) else v)
                                            if b is not None] for v in column.to_pylist()]
            chunks = [pa.array(rows, type=pa.map_(pa.string(), pa.string()))]
        except (TypeError, ValueError, pa.ArrowException):
            p.add(f"{where.name}.{ym.name}", f"expected a map from year to {ym.field.name}, got {column.type}")
            return empty
    parts, base = [], 0
    for col in chunks:
        parts.append(_year_map_chunk(ym, col, base, where, p))
        base += len(col)
    owner, y, vals = (np.concatenate([x[i] for x in parts]) if parts else np.zeros(0, np.int64) for i in range(3))
    keep = (y >= ym.low) & (y <= ym.high) & (vals != ym.field.missing)  # a year without a value records nothing
    if not keep.all():
        owner, y, vals = owner[keep], y[keep], vals[keep]
    # owners ascend (a map's entries follow its row); within one, years as written: sort if they do not ascend
    if len(y) > 1 and not ((owner[1:] != owner[:-1]) | (y[1:] > y[:-1])).all():
        order = np.lexsort((y, owner))
        owner, y, vals = owner[order], y[order], vals[order]
        dup = np.flatnonzero((owner[1:] == owner[:-1]) & (y[1:] == y[:-1]))
        for i in dup.tolist():
            p.add(f"{where(int(owner[i]))}.{ym.name}.{int(y[i])}", "a year given twice")
    return {"owner": owner, "cols": {"year": y.astype(np.int16), ym.field.name: vals.astype(ym.field.dtype)}}


def _year_map_chunk(ym: S.YearMap, col: Any, base: int, where: Any, p: Problems) -> tuple[np.ndarray, ...]:
    """(owner row, year or -1, stored value) of each entry of one chunk of a map column; *base* is
    the row of the chunk's first record."""
    pa = _pa()
    pc = require("pyarrow.compute", "arrow")
    offsets = np.asarray(_np(col.offsets), dtype=np.int64)
    keys, items = col.keys, col.items
    lo, n_items = int(offsets[0]), int(offsets[-1] - offsets[0])
    keys, items, offsets = keys.slice(lo, n_items), items.slice(lo, n_items), offsets - lo
    owner = np.repeat(np.arange(base, base + len(col), dtype=np.int32), np.diff(offsets))
    if pa.types.is_dictionary(keys.type) and not pa.types.is_string(keys.type.value_type):
        keys = keys.cast(keys.type.value_type)
    if not (pa.types.is_dictionary(keys.type) or pa.types.is_string(keys.type)):
        keys = pc.cast(keys, pa.string())
    enc = keys if pa.types.is_dictionary(keys.type) else keys.dictionary_encode()  # each distinct year once
    lut = np.array([int(v) if type(v) is str and _YEAR.fullmatch(v) else -1 for v in enc.dictionary.to_pylist()]
                   + [-1], dtype=np.int16)  # a year has four digits
    y = lut[_filled(enc.indices, -1)]
    for i in np.flatnonzero((y < ym.low) | (y > ym.high)).tolist():
        p.add(f"{where(int(owner[i]))}.{ym.name}", f"expected a year from {ym.low} to {ym.high} as key, "
                                                    f"got {keys[i].as_py()!r}")
    vals = _arrow_field(ym.field, items, lambda i: f"{where(int(owner[i]))}.{ym.name}.{int(y[i])}", p, "")
    return owner, y, vals


# --- pandas --------------------------------------------------------------------------------------

def to_frames(st: C.Store) -> dict[str, Any]:
    """Five pandas DataFrames; whole numbers and flags with missing values use pandas' nullable
    dtypes (``Int64``, ``boolean``), vocabulary keys are categoricals."""
    pd = require("pandas", "pandas")
    pa = _pa()
    nullable = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int32Dtype(), pa.int8(): pd.Int8Dtype(),
                pa.bool_(): pd.BooleanDtype()}
    return {name: t.to_pandas(types_mapper=nullable.get) for name, t in to_arrow(st).items()}


def from_frames(frames: Mapping[str, Any]) -> C.Store:
    pd = require("pandas", "pandas")
    pa = _pa()
    p = Problems()
    tables = {}
    for name, df in frames.items():
        if df is None:
            continue
        if not isinstance(df, pd.DataFrame):
            p.add(name, f"expected a pandas DataFrame, got {type(df).__name__}")
            continue
        try:
            tables[name] = pa.Table.from_pandas(df, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            p.add(name, f"cannot convert to columns: {exc}")
    p.raise_if_any("frames")
    return from_arrow(tables, source="frames")
