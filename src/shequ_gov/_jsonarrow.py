"""The columnar fast path of the JSON reader: communities parsed by pyarrow's JSON reader.

A span of the ``communities`` array written one community a line (as :meth:`Dataset.write` writes
it) is given to pyarrow's newline-delimited JSON parser with a schema derived from ``_schema``
(each field as its plain JSON type; a staff member's ratings, keyed by years, inferred). The nested
table is cut into the flat tables of ``_arrow`` and gathered there, so the values are checked
exactly as those of a Parquet file, and no Python object is made per value.

A span is taken only when it reads exactly as the guarded reader would read it; otherwise
(:func:`gather` returns None) the guarded reader reads those communities and names every problem:

- pyarrow refuses it: a syntax error, a value of another type than its field's plain one (a
  quantity with a unit, a string for a number …), a key repeated in one object, a lone surrogate;
- a line holds other than one object (pyarrow reads ``{…}{…}`` as two rows);
- a key the schema does not declare; a number that is not finite (pyarrow reads ``NaN`` and
  ``Infinity``, which are not JSON); a ``null`` in a list of records (pyarrow reads ``null`` as
  missing, as the guarded reader does everywhere else);
- gathering finds any problem.

pyarrow is the ``arrow`` extra; without it :func:`available` is false. It is imported on first
use, and only for spans of at least :data:`MIN_BYTES` bytes (a small document is read faster
without paying for the import).
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

import numpy as np

from . import _columns as C
from . import _schema as S
from ._errors import Problems

#: The smallest span (bytes) worth giving to pyarrow.
MIN_BYTES = 1 << 22


@functools.cache
def available() -> bool:
    try:
        for name in ("pyarrow.compute", "pyarrow.json"):
            importlib.import_module(name)
    except ImportError:
        return False
    return True


def _plain(pa: Any, f: S.Field) -> Any:
    return {"number": pa.float64(), "boolean": pa.bool_(), "integer": pa.int64(), "strings": pa.list_(pa.string()),
            "string": pa.string()}[f.plain]


def _struct(pa: Any, rec: S.Record) -> Any:
    """The Arrow type of *rec* as JSON writes it (year maps left out: their keys are inferred)."""
    fields = []
    for m in rec.members:
        if isinstance(m, S.Field):
            t = _plain(pa, m)
        elif isinstance(m, S.Group):
            t = _struct(pa, m.record)
        elif isinstance(m, S.Children):
            t = pa.list_(_struct(pa, m.record))
        elif isinstance(m, S.Tags):
            t = pa.list_(pa.string())
        elif isinstance(m, S.YearMap):
            continue
        else:  # pragma: no cover - a new kind of member must be given its type here
            raise TypeError(f"no Arrow type for {m!r}")
        fields.append(pa.field(m.name, t))
    return pa.struct(fields)


@functools.cache
def _options() -> tuple[Any, Any]:
    import pyarrow as pa
    import pyarrow.json as pj

    schema = pa.schema(list(_struct(pa, S.COMMUNITY)))
    return (pj.ReadOptions(use_threads=True, block_size=1 << 24),
            pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer", newlines_in_values=False))


def _conforms(pa: Any, t: Any, rec: S.Record) -> bool:
    """Whether struct type *t* holds only members of *rec*, year maps as structs of their values."""
    for f in t:
        try:
            m = rec.member(f.name)
        except KeyError:
            return False
        if isinstance(m, S.Group) and not _conforms(pa, f.type, m.record):
            return False
        if isinstance(m, S.Children) and not _conforms(pa, f.type.value_type, m.record):
            return False
        if isinstance(m, S.YearMap) and not (
                pa.types.is_struct(f.type) and all(x.type == _plain(pa, m.field) for x in f.type)):
            return False
    return True


def _finite(pa: Any, pc: Any, arr: Any) -> bool:
    """Whether every number in *arr* (nested records and lists included) is finite."""
    t = arr.type
    if pa.types.is_struct(t):
        return all(_finite(pa, pc, child) for child in arr.flatten())
    if pa.types.is_list(t):
        return _finite(pa, pc, arr.flatten())
    if pa.types.is_floating(t) and len(arr) > arr.null_count:
        return bool(pc.all(pc.is_finite(arr)).as_py())
    return True


def _map_of(pa: Any, pc: Any, arr: Any) -> Any:
    """A struct array of year → value (the keys as fields) as a map array, entries in field order."""
    from ._arrow import _np  # the validity bits as numpy, as the Parquet reader reads them

    fields = arr.flatten()
    names = [f.name for f in arr.type]
    m = len(arr)
    given = np.zeros((m, len(names)), dtype=bool)
    for j, f in enumerate(fields):
        given[:, j] = _np(f.is_valid())
    rows, cols = np.nonzero(given)  # row by row, fields in order
    offsets = np.zeros(m + 1, dtype=np.int32)
    np.cumsum(given.sum(axis=1), out=offsets[1:])
    keys = pc.take(pa.array(names, pa.string()), pa.array(cols.astype(np.int32)))
    values = (pc.take(pa.concat_arrays(fields), pa.array(cols.astype(np.int64) * m + rows))
              if names else pa.array([], pa.string()))
    return pa.MapArray.from_arrays(pa.array(offsets), keys, values, mask=arr.is_null())


def _child_table(pa: Any, pc: Any, rec: S.Record, values: Any) -> Any:
    """The records of a list column's items (a struct array) as a flat table, year maps as maps."""
    cols = {}
    for f, child in zip(values.type, values.flatten()):
        m = rec.member(f.name)
        cols[f.name] = _map_of(pa, pc, child) if isinstance(m, S.YearMap) else child
    return pa.table(cols)


def _flat_groups(cols: dict[str, Any], rec: S.Record, prefix: str, out: dict[str, Any]) -> None:
    """The scalar and list columns of *cols* (arrays by member name of *rec*) by their flat path
    (``funding.operating``); child tables left out."""
    for name, arr in cols.items():
        m = rec.member(name)
        if isinstance(m, S.Group):
            _flat_groups(dict(zip([f.name for f in arr.type], arr.flatten())), m.record, f"{prefix}{name}.", out)
        elif not isinstance(m, S.Children):
            out[prefix + name] = arr


def gather(data: bytes, end: int, offset: int) -> "C.Gathered | None":
    """The communities of ``data[:end]`` (``{…},\\n{…}``: the inside of an array in UTF-8, one
    community a line), gathered; None when they must be read by the guarded reader (see the module
    docstring). *offset* is the input position of the first."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    from . import _arrow as A

    text = np.frombuffer(data, np.uint8, count=end).copy()
    newlines = np.flatnonzero(text == 10)
    commas = newlines[newlines > 0] - 1
    text[commas[text[commas] == 44]] = 32  # "},\n{" → "} \n{": newline-delimited JSON
    read, parse = _options()
    try:
        table = pj.read_json(pa.BufferReader(pa.py_buffer(text)), read_options=read, parse_options=parse)
    except (pa.ArrowException, ValueError, OverflowError):
        return None
    del text
    n = table.num_rows
    if n != len(newlines) + 1 or not _conforms(pa, table.schema, S.COMMUNITY):
        return None
    cols = {name: table.column(name).combine_chunks() for name in table.column_names}
    del table
    if not all(_finite(pa, pc, arr) for arr in cols.values()):
        return None
    flat: dict[str, Any] = {}
    _flat_groups(cols, S.COMMUNITY, "", flat)
    children: dict[str, Any] = {}
    owners: dict[str, np.ndarray] = {}
    for name, ch in S.CHILDREN.items():
        counts = pc.list_value_length(cols[name])
        items = cols[name].flatten()
        if items.null_count:  # a null where a record was expected
            return None
        flat[f"n_{name}"] = counts
        children[name] = _child_table(pa, pc, ch.record, items)
        owners[name] = np.repeat(np.arange(n, dtype=np.int64), A._filled(counts, 0))
    scratch = Problems()
    g = A.gather_communities(pa.table(flat), children, scratch, owners=owners)
    if scratch.items:
        return None
    where = C._Locator("communities", n, offset)
    where.codes = g.code
    g.where = where
    return g
