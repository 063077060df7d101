"""The fast path of the JSON reader: communities decoded by msgspec into typed records.

The record types are derived from the declarations of ``_schema`` (one ``msgspec.Struct`` per
record, a field per member, every field defaulting to ``None``); nothing is written per field.
A value of another type than its field's plain one (a quantity with a unit, ``null``, a string
for a number …), an unknown key or a syntax error makes msgspec refuse the span, and the guarded
reader (``_jsonread``) reads those communities instead, reporting every problem with its place.

A key repeated in one object would be taken silently by msgspec; a span is accepted only when
the keys it holds can be counted in its text and that count equals the number of distinct keys
decoded (see :func:`_key_count`), otherwise the guarded reader takes it.

msgspec is optional (the ``[json]`` extra); without it :data:`AVAILABLE` is false and the
guarded reader reads everything.
"""

from __future__ import annotations

from itertools import chain, repeat
from typing import Any

from . import _schema as S

try:
    import msgspec
except ImportError:  # pragma: no cover - exercised by the fallback tests through AVAILABLE
    msgspec = None  # type: ignore[assignment]

def _plain_type(f: S.Field) -> Any:
    return {"number": float, "boolean": bool, "integer": int, "strings": list[str], "string": str}[f.plain]


def _struct(rec: S.Record) -> Any:
    """The msgspec record type of *rec* (fields typed plainly, all defaulting to None)."""
    fields = []
    for m in rec.members:
        if isinstance(m, S.Field):
            t = _plain_type(m)
        elif isinstance(m, S.Group):
            t = _struct(m.record)
        elif isinstance(m, S.Children):
            t = list[_struct(m.record)]
        elif isinstance(m, S.Tags):
            t = list[str]
        elif isinstance(m, S.YearMap):
            t = dict[str, _plain_type(m.field)]
        else:  # pragma: no cover - a new kind of member must be given its type here
            raise TypeError(f"no msgspec type for {m!r}")
        fields.append((m.name, t, None))
    return msgspec.defstruct("_" + rec.name.replace(" ", "_").title().replace("_", ""), fields,
                             forbid_unknown_fields=True, gc=False)


def _names_safe() -> bool:
    """Field names are read with ``getattr`` over records and empty dicts alike: none may be a
    dict attribute, and none may contain a colon (keys are counted by their colons)."""
    names = {m.name for rec in S.RECORDS for m in rec.members}
    return not (names & set(dir(dict))) and not any(":" in n for n in names)


AVAILABLE = msgspec is not None and _names_safe()
if AVAILABLE:
    COMMUNITY = _struct(S.COMMUNITY)
    _DECODER = msgspec.json.Decoder(list[COMMUNITY])
    _ERRORS: tuple[type[BaseException], ...] = (msgspec.DecodeError, msgspec.ValidationError)
else:
    _ERRORS = ()


def decode(data: bytes, end: int) -> "list | None":
    """The communities of ``data[:end]`` (``{…},{…}``, the inside of an array, UTF-8), or None if
    msgspec refuses them."""
    try:
        return _DECODER.decode(b"".join((b"[", memoryview(data)[:end], b"]")))
    except _ERRORS:
        return None
    except (ValueError, OverflowError, RecursionError):
        return None


def _present(rec: S.Record, objs: list) -> int:
    """The number of keys given in *objs* (records of *rec*) and everything nested in them:
    a field is given when it is not None (a ``null`` is refused by the typed decoder)."""
    if not objs:
        return 0
    n = len(rec.members) * len(objs) - sum(map(tuple.count, map(msgspec.structs.astuple, objs), repeat(None)))
    for m in rec.members:
        if isinstance(m, (S.Group, S.Children, S.YearMap)):
            vals = [v for v in map(getattr, objs, repeat(m.name)) if v is not None]
            if isinstance(m, S.Group):
                n += _present(m.record, vals)
            elif isinstance(m, S.Children):
                n += _present(m.record, list(chain.from_iterable(vals)))
            else:
                n += sum(map(len, vals))
    return n


def keys_unique(data: bytes, end: int, objs: list) -> bool:
    """Whether no object in ``data[:end]`` (the text *objs* were decoded from) repeats a key.

    Without a backslash in the text no string holds a quote, so every key is followed by ``":``
    and, when every colon follows a quote, the count of ``":`` is at least the number of keys
    written (a string value that starts with a colon adds one more). The decoder keeps one value
    per key, so the keys it kept are as many as the keys written only when no key is repeated."""
    if data.find(b"\\", 0, end) >= 0:
        return False
    written = data.count(b'":', 0, end)
    return written == data.count(b":", 0, end) and written == _present(S.COMMUNITY, objs)
