"""The Report: every verdict as columns, queried one at a time, rolled up, exported.

Verdicts are kept as one status column per rule (a :class:`~shequ_gov._verdict.Block`); nothing per
community is built until asked for. This module holds the queries (:meth:`Report.status`,
:meth:`~Report.finding`, :meth:`~Report.verdicts`, :meth:`~Report.summary`); the explanation
builder is :mod:`shequ_gov._explain` and the exports are :mod:`shequ_gov._writers`, which the
report's ``explain`` and ``to_*`` methods call. The engine builds a report; the report never
imports the engine.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import attrs
import numpy as np

from . import _explain as E
from . import _writers as W
from ._codes import SCALE, normalize_code
from ._dataset import Dataset
from ._extras import require
from ._io import atomic_write
from ._policy import Citation, Policy, Rule
from ._table import Table
from ._verdict import Block, Relation
from ._vocab import S_FAIL, S_PASS, STATUSES, Level, Status

if TYPE_CHECKING:
    from ._explain import Explanation

__all__ = ["Finding", "Report", "RuleVerdicts", "Table"]

REPORT_SCHEMA = W.REPORT_SCHEMA


@attrs.frozen
class Finding:
    """One verdict: a rule's status for one community or region, with the numbers behind it."""

    code: str
    name: str
    level: Level
    policy: str
    rule_id: str
    title_zh: str
    title_en: str
    strength: str
    status: Status
    measured: float | None
    required: float | None
    unit: str
    shortfall: float | None
    citation: Citation
    message: str

    def __str__(self) -> str:
        return f"{self.code} {self.name}: {self.rule_id} {self.status.value.upper()} — {self.message}"


@attrs.frozen(eq=False)
class RuleVerdicts:
    """The verdicts of one rule, as columns over the units it judges (from :meth:`Report.verdicts`).

    ``codes`` are the judged units' codes (int64, sorted) and ``status`` their status storage codes
    (int8; ``STATUSES[code]`` — or :meth:`statuses` — gives the :class:`~shequ_gov.Status`);
    ``measured``, ``required`` and ``shortfall`` are float arrays aligned with them (NaN where a
    verdict has no such number; ``None`` where the rule reports none at all). ``error`` is the
    rule's failure, if it raised; ``parameters_read`` the parameters its function read.
    The arrays are read-only views of the report's columns.
    """

    rule: Rule
    policy: Policy
    level: Level
    codes: np.ndarray
    status: np.ndarray
    measured: np.ndarray | None
    required: np.ndarray | None
    shortfall: np.ndarray | None
    unit: str
    relation: Relation | None
    error: str | None
    parameters_read: tuple[str, ...] | None
    seconds: float
    rule_seconds: float

    def __len__(self) -> int:
        return len(self.codes)

    def statuses(self) -> list[Status]:
        """The status of each judged unit, as :class:`~shequ_gov.Status` members."""
        return [STATUSES[c] for c in self.status.tolist()]

    def count(self, status: Status | str) -> int:
        """How many judged units have *status*."""
        return int(np.count_nonzero(self.status == Status.parse(status).code))

    def counts(self) -> dict[Status, int]:
        """The number of judged units with each status (every status, zeros included)."""
        n = np.bincount(self.status, minlength=len(STATUSES))
        return {s: int(n[s.code]) for s in Status}

    def codes_text(self) -> list[str]:
        """The judged units' codes as 12-digit strings."""
        return [f"{c:012d}" for c in self.codes.tolist()]


class Report:
    """The result of :func:`shequ_gov.evaluate`: verdicts of every rule on every subject it judges.

    Query one verdict with :meth:`status`, :meth:`finding` or :meth:`explain`; all of them with
    :attr:`findings`; roll them up with :meth:`summary`; export with :meth:`to_json` or :meth:`to_csv`.
    """

    def __init__(self, dataset: Dataset, policies: list[Policy], blocks: list[Block], as_of: dt.date, mode: str):
        self.dataset = dataset
        self.policies = tuple(policies)
        self.as_of = as_of
        self.mode = mode
        self._blocks = blocks
        self._by_rule = {b.rule.id: b for b in blocks}

    def __repr__(self) -> str:
        return (f"<Report: {len(self._blocks)} rules of {', '.join(p.id for p in self.policies) or 'no policy'} "
                f"over {len(self.dataset)} communities, as of {self.as_of}, mode {self.mode}: {len(self)} verdicts>")

    def __len__(self) -> int:
        counted: dict[int, int] = {}  # rules share their masks of included subjects: each is counted once
        total = 0
        for b in self._blocks:  # (the blocks hold the masks: no id is reused meanwhile)
            n = counted.get(id(b.included))
            if n is None:
                n = counted[id(b.included)] = int(b.included.sum())
            total += n
        return total

    @property
    def rule_ids(self) -> list[str]:
        """The ids of the rules evaluated, in evaluation order."""
        return [b.rule.id for b in self._blocks]

    def verdicts(self, rule_id: str) -> RuleVerdicts:
        """The verdicts of rule *rule_id* as columns (a :class:`RuleVerdicts`): codes, statuses, numbers.

        Only the units the rule's policy judges are rows. An unknown rule id is a ``KeyError``
        with a did-you-mean. Iterate :attr:`rule_ids` for every rule::

            failing = [r for r in report.rule_ids if report.verdicts(r).count("fail")]
        """
        b = self._block(rule_id)
        inc = np.flatnonzero(b.included)
        o = b.outcome

        def col(values: np.ndarray | None) -> np.ndarray | None:
            if values is None:
                return None
            out = values[inc]
            out.flags.writeable = False
            return out

        codes, status = b.codes[inc], b.status[inc]
        codes.flags.writeable = status.flags.writeable = False
        read = b.parameters_read
        return RuleVerdicts(b.rule, b.policy, b.level, codes, status, col(b.measured()), col(b.required()),
                            col(b.shortfall()), o.unit if o is not None else "", o.op if o is not None else None,
                            b.error, tuple(read) if read is not None else None, b.seconds, b.rule_seconds)

    def _block(self, rule_id: str) -> Block:
        if not isinstance(rule_id, str):
            raise TypeError(f"a rule id is a string such as {next(iter(self._by_rule), 'loudi.grid.size')!r}, "
                            f"got {type(rule_id).__name__} {rule_id!r:.60}")
        b = self._by_rule.get(rule_id)
        if b is None:
            import difflib

            hint = difflib.get_close_matches(rule_id, list(self._by_rule), n=1)
            raise KeyError(f"no rule {rule_id!r} in this report" + (f"; did you mean {hint[0]!r}?" if hint else ""))
        return b

    def _locate(self, code: Any, rule_id: str) -> tuple[Block, int, str]:
        b = self._block(rule_id)
        c = normalize_code(code)
        if c not in self.dataset:
            raise KeyError(f"no region or community with code {c} in the dataset")
        row = b.row(int(c))
        if row < 0:
            from ._codes import code_level

            raise KeyError(f"{rule_id} judges {b.level.value} units; {c} is a {code_level(c).value}")
        return b, row, c

    def status(self, code: Any, rule_id: str) -> Status:
        """The status of rule *rule_id* for the unit *code* (NOT_APPLICABLE outside the policy's reach)."""
        b, row, _ = self._locate(code, rule_id)
        return STATUSES[b.status[row]] if b.included[row] else Status.NOT_APPLICABLE

    def finding(self, code: Any, rule_id: str) -> Finding:
        """The verdict of *rule_id* on *code* as a :class:`Finding`, with its numbers and message."""
        b, row, c = self._locate(code, rule_id)
        st = STATUSES[b.status[row]] if b.included[row] else Status.NOT_APPLICABLE
        val = lambda v: None if v is None or v != v else float(v)  # noqa: E731
        rule = b.rule
        return Finding(c, E.unit_brief(self, c).name, b.level, b.policy.id, rule.id, rule.title_zh, rule.title_en,
                       rule.strength, st, val(b.measured_at(row)), val(b.required_at(row)),
                       b.outcome.unit if b.outcome else "", val(b.shortfall_at(row)),
                       rule.citation, E.message(self, b, row, st))


    # --- explanation -------------------------------------------------------------------------------
    def explanation(self, code: Any, rule_id: str) -> "Explanation":
        """Why *code* got its status under *rule_id*, as an :class:`~shequ_gov.Explanation`.

        Its fields hold the status, the inputs, the parameters in force with their dates and
        citations, the computation, the shortfall, the offending items and the source quote;
        ``.text`` is what :meth:`explain` returns.
        """
        from ._explain import build

        b, row, c = self._locate(code, rule_id)
        return build(self, b, row, c)

    def explain(self, code: Any, rule_id: str) -> str:
        """Why *code* got its status under *rule_id*: inputs, parameters in force, computation, source.

        For list rules (negative lists, allowed plaques…) each offending item is named. The text
        of :meth:`explanation`.
        """
        return self.explanation(code, rule_id).text

    def explain_many(self, codes: Iterable[Any], rule_id: str) -> dict[str, str]:
        """:meth:`explain` for each of *codes* under *rule_id*: normalised code → text, in the order given.

        Each explanation costs work proportional to that unit's own records, so a dashboard can
        explain a thousand failing communities in well under a second. An unknown code is a
        ``KeyError`` naming it, raised before any text is built.
        """
        self._block(rule_id)
        wanted = [normalize_code(c) for c in codes]
        missing = [c for c in wanted if c not in self.dataset]
        if missing:
            raise KeyError(f"no region or community with code {', '.join(missing[:10])}"
                           + (f" (and {len(missing) - 10} more)" if len(missing) > 10 else "") + " in the dataset")
        return {c: self.explain(c, rule_id) for c in wanted}


    # --- tables ------------------------------------------------------------------------------------
    @property
    def findings(self) -> Table:
        """Every verdict as a table: code, level, policy, rule, status, measured, required, unit, shortfall.

        The table is lazy: iterating it, ``len()``, ``format()`` and ``to_csv()`` stream the
        verdicts from the report's columns a bounded number at a time; only ``.columns`` builds
        every column in memory (avoid it at national scale).
        """
        return W._Findings(self)

    def _region_key(self, codes: np.ndarray, lv: Level) -> tuple[np.ndarray, np.ndarray]:
        """For subjects *codes* (sorted), the position of each one's region of *lv*, and those regions' codes."""
        cache = self.__dict__.setdefault("_region_keys", {})
        hit = cache.get((id(codes), lv))
        if hit is not None and hit[0] is codes:
            return hit[1], hit[2]
        rcodes, key = region_index(codes, lv)
        cache[(id(codes), lv)] = (codes, key, rcodes)
        return key, rcodes

    def summary(self, level: Level | str | None = None) -> Table:
        """Counts of each status and the pass rate, per rule — and per region of *level* if given.

        The pass rate is PASS / (PASS + FAIL); NaN where there is neither. One vectorised
        group-by (``bincount`` over region × status) per rule, whatever the level.
        """
        lv = Level.parse(level) if level is not None else None
        st = self.dataset._st
        k = len(STATUSES)
        meta: list[tuple[int, Block]] = []
        counts: list[np.ndarray] = []
        per_rule: list[list[int]] = []  # (without a level: one row of counts per rule)
        regions: list[tuple[np.ndarray, np.ndarray]] = []
        texts: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for b in self._blocks:
            inc = b.included
            if lv is None:
                if len(inc) <= W._FEW:  # a few subjects (a single-community request): counted one by one
                    row = [0] * k
                    for s, i in zip(b.status.tolist(), inc.tolist()):
                        row[s] += i
                else:
                    row = np.bincount(b.status[inc], minlength=k).tolist()
                per_rule.append(row)
                meta.append((1, b))
                continue
            if lv.depth > b.level.depth:
                continue  # a district rule has no verdicts per street
            if lv is b.level:
                key, rcodes = np.arange(len(b.codes)), b.codes
            else:
                key, rcodes = self._region_key(b.codes, lv)
            m = np.bincount(key[inc] * k + b.status[inc], minlength=len(rcodes) * k).reshape(len(rcodes), k)
            keep = np.flatnonzero(m.any(axis=1))
            counts.append(m[keep])
            labels = texts.get(id(rcodes))
            if labels is None or labels[0] is not rcodes:  # code and name of each region, once per region list
                code_text = np.empty(len(rcodes), dtype=object)
                code_text[:] = [f"{c:012d}" for c in rcodes.tolist()]
                labels = texts[id(rcodes)] = (rcodes, code_text, W._names_of(st, rcodes))
            regions.append((labels[1][keep], labels[2][keep]))
            meta.append((len(keep), b))
        cnt = np.concatenate(counts) if counts else np.array(per_rule, dtype=np.int64).reshape(len(per_rule), k)
        rows: dict[str, list] = {"policy": _repeat([(n, b.policy.id) for n, b in meta]).tolist(),
                                 "rule": _repeat([(n, b.rule.id) for n, b in meta]).tolist(),
                                 "strength": _repeat([(n, b.rule.strength) for n, b in meta]).tolist()}
        if lv is not None:
            rows["region"] = np.concatenate([c for c, _ in regions]).tolist() if regions else []
            rows["region_name"] = np.concatenate([n for _, n in regions]).tolist() if regions else []
        for j, s in enumerate(STATUSES):
            rows[s.value] = cnt[:, j].tolist()
        p, f = cnt[:, S_PASS].astype(float), cnt[:, S_FAIL].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            rows["pass_rate"] = (p / (p + f)).tolist()
        return Table(rows)

    # --- exports -----------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """Library and plug-in versions, as_of, mode, and hashes of the parameters in force and of the dataset."""
        import shequ_gov

        return {
            "library": {"name": "shequ-gov", "version": shequ_gov.__version__},
            "policies": {p.id: {"version": p.version, "distribution": p.distribution,
                                "parameters_sha256": p.parameter_hash(self.as_of),
                                **({"reforms": {n: {"label": r.label, "reason": r.reason, "from": r.start and
                                                    r.start.isoformat()} for n, r in p.reforms.items()}}
                                   if p.reforms else {})} for p in self.policies},
            "as_of": self.as_of.isoformat(),
            "mode": self.mode,
            "dataset_sha256": self.dataset.fingerprint(),
            "communities": len(self.dataset),
            "verdicts": len(self),
        }


    def to_json(self, path: str | os.PathLike[str] | None = None) -> str | None:
        """The report as JSON (schema ``shequ-gov-report/1``): text when *path* is None, else written atomically.

        The same input gives byte-identical output (``.gz`` paths are gzip-compressed). The
        findings are written from the status and value columns a bounded number at a time.
        """
        if path is None:
            return "".join(W.json_chunks(self))

        def emit(f: Any) -> None:
            for chunk in W.json_chunks(self):
                f.write(chunk.encode("utf-8"))

        atomic_write(path, emit)
        return None


    def to_csv(self, path: str | os.PathLike[str] | None = None, *, excel: bool = False,
               zh_status: bool = False) -> str | None:
        """Every verdict as CSV rows: text when *path* is None, else written atomically.

        The plain CSV has the columns of :attr:`findings` (numbers exact, as computed). With
        ``excel=True`` it is made for spreadsheets: UTF-8 with a byte-order mark and CRLF line
        ends (so Excel on a Chinese Windows reads it right), bilingual headers, the unit's name
        and the names of its province, city, district and street beside each code, the rule's
        Chinese title, numbers rounded to their unit's precision (2 decimals for m² and yuan, 4
        for counts and shares, no float noise), units written as people write them (m², 元/月)
        and, with ``zh_status=True``, Chinese status labels (达标, 未达标, 不适用, …). Both are
        written from the columns a bounded number of verdicts at a time.
        """
        chunks = W.excel_chunks(self, zh_status) if excel else W.csv_chunks(self)
        if path is None:
            return "".join(chunks)

        def emit(f: Any) -> None:
            for chunk in chunks:
                f.write(chunk.encode("utf-8"))

        atomic_write(path, emit)
        return None

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str | None:
        """The report as one self-contained HTML page (charts, drill-down by region, failing units, explanations).

        Returns the text when *path* is None, else writes it atomically. The page loads nothing from
        anywhere: it opens from disk with no network. See :mod:`shequ_gov._html` for its sections.
        """
        from ._html import report_html

        return report_html(self, path)

    def _repr_html_(self) -> str:
        """The overview and the rules with the lowest pass rate, for notebooks."""
        from ._html import report_repr_html

        return report_repr_html(self)


    def to_arrow(self) -> Any:
        """Every verdict as a ``pyarrow.Table``, one row per verdict (needs ``shequ-gov[arrow]``).

        Columns: policy, rule, code, status, measured, required, shortfall, unit, strength, level;
        text columns are dictionary-encoded, numbers are float64 with nulls where a verdict has
        no such number.
        """
        pa = require("pyarrow", "arrow")
        return pa.Table.from_batches(list(W.arrow_batches(self)), schema=W._arrow_schema())

    def to_pandas(self) -> Any:
        """Every verdict as a ``pandas.DataFrame`` (text columns categorical; needs ``shequ-gov[pandas]``)."""
        require("pandas", "pandas")
        return self.to_arrow().to_pandas()

    def to_parquet(self, path: str | os.PathLike[str]) -> None:
        """Write every verdict to a Parquet file at *path*, atomically (needs ``shequ-gov[arrow]``).

        The rows are those of :meth:`to_arrow`, written a bounded number at a time, with the
        report's :meth:`metadata` (as JSON) under the key ``shequ_gov_report``.
        """
        require("pyarrow", "arrow")
        import pyarrow.parquet as pq

        schema = W._arrow_schema().with_metadata({"shequ_gov_report": json.dumps(self.metadata(), ensure_ascii=False)})

        def emit(f: Any) -> None:
            # the code column is written plain (Parquet would re-encode a 620,000-entry dictionary per
            # rule); no column statistics (they cost as much as the rest of the writing)
            with pq.ParquetWriter(f, schema, use_dictionary=[n for n in schema.names if n != "code"],
                                  write_statistics=False, write_batch_size=1 << 16) as w:
                for batch in W.prefetched(W.arrow_batches(self)):  # built while the last one is written
                    w.write_batch(batch)

        atomic_write(path, emit)


def region_groups(b: Block, lv: Level) -> tuple[np.ndarray, np.ndarray] | None:
    """The codes of the regions of *lv* holding *b*'s subjects, and each subject's index among them
    (``None`` when *lv* is below the rule's level: a district rule has no verdicts per street)."""
    if lv.depth > b.level.depth:
        return None
    if lv is b.level:
        return b.codes, np.arange(len(b.codes))
    return region_index(b.codes, lv)


def region_index(codes: np.ndarray, lv: Level) -> tuple[np.ndarray, np.ndarray]:
    """The codes of the regions of *lv* above *codes*, and each code's index among them."""
    s = SCALE[lv.depth]
    anc = (codes // s) * s
    if len(anc) < 2 or bool((anc[1:] >= anc[:-1]).all()):  # codes are sorted: groups are runs, no sort needed
        new = np.empty(len(anc), bool)
        new[:1] = True
        np.not_equal(anc[1:], anc[:-1], out=new[1:])
        return anc[new], np.cumsum(new) - 1
    return np.unique(anc, return_inverse=True)


def _repeat(pairs: Sequence[tuple[int, str]]) -> np.ndarray:
    values = np.array([v for _, v in pairs], dtype=object)
    return np.repeat(values, [n for n, _ in pairs])
