"""The ``shequ-gov`` command line: list policies, evaluate a dataset, explain a verdict, make data.

Exit codes: 0 success; 1 the evaluation found failures and ``--fail-on`` was given; 2 bad input
or any other failure (one line on standard error naming the input and what was wrong; no
traceback — set ``SHEQU_GOV_DEBUG=1`` to see one); 141 the reader of standard output went away
(``shequ-gov explain … | head``), as for a program ended by SIGPIPE.

Every command runs inside :func:`_run`, the one place that turns an exception into that line, so
commands added later are covered too.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Sequence

__all__ = ["main"]

STRENGTH_ORDER = ("mandatory", "standard", "advisory")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors are bad input: exit 2 with the message
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="shequ-gov", description="Community-governance standards as policies (社区治理).")
    from . import __version__

    p.add_argument("--version", action="version", version=f"shequ-gov {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("policies", help="list the installed policies")

    e = sub.add_parser("evaluate", help="evaluate a dataset against policies")
    e.add_argument("data", help="dataset: .json, .json.gz, .csv, .csv.gz or a .parquet directory")
    e.add_argument("--policy", action="append", dest="policies", metavar="NAME",
                   help="a policy id (repeatable; default: every installed policy)")
    e.add_argument("--as-of", help="evaluation date, YYYY-MM-DD (default: today)")
    e.add_argument("--mode", choices=("jurisdiction", "what-if"), default="jurisdiction")
    e.add_argument("--format", choices=("table", "json", "csv", "html"), default="table",
                   help="html: one self-contained page with charts and drill-down (use with -o report.html)")
    e.add_argument("--level", choices=("province", "city", "district", "street"),
                   help="summarise per region of this level (table, json, csv; the html report drills down itself)")
    e.add_argument("--excel", action="store_true",
                   help="with --format csv: for spreadsheets (UTF-8 with BOM, names beside codes, rounded numbers)")
    e.add_argument("--zh-status", action="store_true", help="with --excel: Chinese status labels (达标, 未达标 …)")
    e.add_argument("--output", "-o", help="write to this file (atomically) instead of standard output")
    e.add_argument("--fail-on", choices=STRENGTH_ORDER + ("any",),
                   help="exit 1 if a rule of this strength or stronger has a FAIL verdict")

    x = sub.add_parser("explain", help="explain one verdict")
    x.add_argument("data")
    x.add_argument("code", help="division code of the community or region")
    x.add_argument("rule_id")
    x.add_argument("--policy", action="append", dest="policies", metavar="NAME")
    x.add_argument("--as-of")
    x.add_argument("--mode", choices=("jurisdiction", "what-if"), default="jurisdiction")

    t = sub.add_parser("template", help="write the fill-in workbook (.xlsx) for the chosen policies")
    t.add_argument("output", help="the workbook to write (.xlsx)")
    t.add_argument("--policy", action="append", dest="policies", metavar="NAME",
                   help="a policy id (repeatable; default: every installed policy)")

    s = sub.add_parser("synth", help="generate a synthetic dataset")
    s.add_argument("--scale", default="city", help="tiny, city, province, national, or a number of communities")
    s.add_argument("--seed", type=_seed, default=0, help="a non-negative integer (default 0)")
    s.add_argument("--skeleton", help="real division list to build on (e.g. cn_divisions_2023.csv.gz)")
    s.add_argument("--output", "-o", required=True, help="output: .json, .json.gz or a .parquet directory")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")

    c = sub.add_parser("convert", help="convert a dataset between formats, by suffix")
    c.add_argument("input", help="dataset: .json, .json.gz, .csv, .csv.gz or a .parquet directory")
    c.add_argument("output", help="written atomically: .json, .json.gz or a .parquet directory")
    c.add_argument("--partition-by", choices=("province",), help="Parquet: one hive-style partition per province")

    k = sub.add_parser("catalogue", help="regenerate a plug-in README's rules table, or the docs' catalogue pages")
    k.add_argument("what", choices=("readme", "rst"))
    k.add_argument("path", help="README.md to update (readme) or a directory for the pages (rst)")
    k.add_argument("--policy", help="the policy of the README (default: the README's plug-in folder name)")
    k.add_argument("--check", action="store_true", help="do not write: exit 1 if the README is out of date")

    _what_if_parsers(sub)

    n = sub.add_parser("new-policy", help="write a new policy plug-in that installs and passes its own tests")
    n.add_argument("name", help="the policy id, a lower-case identifier (e.g. changsha)")
    n.add_argument("--jurisdiction", required=True, metavar="CODE", help="division code of the region (e.g. 4301)")
    n.add_argument("--source", metavar="FILE.txt", help="the source document's text (UTF-8), cited by the example rule")
    n.add_argument("--output", "-o", required=True, metavar="DIR",
                   help="directory to create (must not exist or be empty)")

    v = sub.add_parser("serve", help="run the HTTP service (needs the 'server' extra)")
    v.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    v.add_argument("--port", type=int, default=8000)
    v.add_argument("--policy", action="append", dest="policies", metavar="NAME",
                   help="a policy to serve (repeatable; default: every installed policy)")
    v.add_argument("--workers", type=int, default=1, help="worker processes")
    v.add_argument("--max-body-mb", type=float, default=64, help="largest request body, in MiB (default 64)")
    v.add_argument("--decision-log", metavar="FILE", help="append one JSON line per evaluation or explanation")

    b = sub.add_parser("bench", help="run the benchmarks (see benchmarks/)")
    b.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    return p


def _seed(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 20:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from ._memory import reuse_freed_memory

    reuse_freed_memory()  # the command line owns its process: large evaluations reuse freed memory
    return _run(_COMMANDS[args.command], args)


#: Problems shown in the one line of a ValidationError/PolicyError (the rest are counted).
_SHOWN = 5


def _run(command: Any, args: Any) -> int:
    """Run a command; turn any failure into one line on standard error and exit code 2."""
    from ._errors import PolicyError, ValidationError

    global _PROGRESS
    from ._progress import Progress

    _PROGRESS = Progress()
    try:
        code = command(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return code
    except KeyboardInterrupt:
        print("shequ-gov: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of our output went away (`| head`): not an error of ours; say nothing more
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141
    except Exception as exc:
        if os.environ.get("SHEQU_GOV_DEBUG", "").strip() not in ("", "0"):
            raise
        if isinstance(exc, (ValidationError, PolicyError)):
            msg = _one_line(exc)
        elif isinstance(exc, OSError) and exc.filename is not None:
            msg = f"{exc.filename}: {exc.strerror or exc}"
        elif isinstance(exc, KeyError) and exc.args:
            msg = str(exc.args[0])
        elif isinstance(exc, (ValueError, TypeError, OSError, ImportError)):  # ImportError: a missing extra
            msg = str(exc)
        else:  # a bug or an exhausted resource: still one line, with what it was
            msg = f"internal error {type(exc).__name__}: {exc} (set SHEQU_GOV_DEBUG=1 for the traceback)"
        print(f"shequ-gov: {' '.join(msg.split())}", file=sys.stderr)
        return 2
    finally:
        _PROGRESS.close()


def _one_line(exc: Any) -> str:
    """A ValidationError/PolicyError on one line: the input, the count, the first problems."""
    n = len(exc.problems)
    head = f"{exc.source}: " if exc.source else ""
    shown = "; ".join(f"{loc}: {msg}" if loc and loc != exc.source else msg for loc, msg in exc.problems[:_SHOWN])
    more = f"; … and {n - _SHOWN} more" if n > _SHOWN else ""
    return f"{head}{n} {exc.what}{'s' if n != 1 else ''}: {shown}{more}"


def _policies(args: Any) -> int:
    from . import policies
    from ._report import Table

    rows = policies.info()
    if not rows:
        print("no policies installed (plug-ins register under the entry-point group shequ_gov.policies)")
        return 0
    cols = {k: [r[k] for r in rows] for k in ("id", "name_zh", "version", "distribution", "jurisdiction", "rules")}
    print(Table(cols).format())
    return 0


#: Progress on a terminal (standard error), nothing on a pipe.
_PROGRESS = None


def _progress() -> Any:
    if _PROGRESS is None:
        from ._progress import QUIET

        return QUIET
    return _PROGRESS


def _read(path: str) -> Any:
    """The dataset in *path*; whatever goes wrong reading it is a ValidationError naming the file."""
    from . import _io, _sheets
    from ._dataset import Dataset
    from ._errors import PolicyError, ValidationError

    try:
        if _sheets.wanted(path):
            return Dataset.read(path)
        return Dataset(_io.read(path, progress=_progress()))
    except (ValidationError, PolicyError) as exc:
        if exc.source is None:
            exc.source = path
        raise
    except OSError as exc:
        raise ValidationError([(path, f"cannot read: {exc.strerror or exc}")], source=path) from None
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a reader that let a raw error escape (zlib, overflow, recursion…)
        t = type(exc)
        kind = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"
        raise ValidationError([(path, f"cannot read: {kind}: {exc}")], source=path) from None



def _write(ds: Any, path: str, partition_by: str | None = None, progress: Any = None) -> None:
    from . import _io

    if str(path).lower().endswith(".xlsx"):
        ds.write(path)
        return
    _io.write(ds._st, path, partition_by=partition_by, fingerprint=ds.fingerprint,
              progress=_progress() if progress is None else progress)


def _evaluated(args: Any) -> tuple[Any, Any]:
    from concurrent.futures import ThreadPoolExecutor

    from ._engine import _resolve, evaluate

    # The policies (their TOML, units and plug-in modules) load on a second thread while the data is
    # read: a Parquet read spends most of its time outside the interpreter lock.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="shequ-gov-policies") as pool:
        policies = pool.submit(_resolve, args.policies)
        ds = _read(args.data)
        pols = policies.result()
    with _progress().step(f"evaluating {len(ds):,} communities"):
        return ds, evaluate(ds, pols, as_of=args.as_of, mode=args.mode)


def _evaluate(args: Any) -> int:
    from ._atomic import atomic_write

    if (args.excel or args.zh_status) and (args.format != "csv" or args.level):
        print("shequ-gov: --excel and --zh-status go with --format csv (every verdict, no --level)", file=sys.stderr)
        return 2
    if args.zh_status and not args.excel:
        print("shequ-gov: --zh-status goes with --excel", file=sys.stderr)
        return 2
    if args.level and args.format == "html":
        raise ValueError("--level does not apply to --format html: the page already drills down from province to "
                         "street; leave --level out")
    ds, report = _evaluated(args)
    if args.level and args.format in ("json", "csv"):
        _emit_summary(report, args.level, args.format, args.output)
    elif args.format == "html":
        _emit(report.to_html(), args.output, lambda p: report.to_html(p))
    elif args.format == "json":
        _emit(None if args.output else report.to_json(), args.output, lambda p: report.to_json(p))
    elif args.format == "csv":
        opts = {"excel": args.excel, "zh_status": args.zh_status}
        _emit(None if args.output else report.to_csv(**opts), args.output, lambda p: report.to_csv(p, **opts))
    else:
        table = report.summary(level=args.level)
        head = (f"{len(ds):,} communities · {', '.join(p.id for p in report.policies)} · as of {report.as_of} · "
                f"mode {report.mode} · {len(report):,} verdicts\n")
        text = head + table.format() + "\n"
        _emit(text, args.output, lambda p: atomic_write(p, lambda f: f.write(text), binary=False))
    if args.fail_on:
        allowed = STRENGTH_ORDER if args.fail_on == "any" else STRENGTH_ORDER[:STRENGTH_ORDER.index(args.fail_on) + 1]
        from ._vocab import Status

        failing = [rid for rid in report.rule_ids
                   if (v := report.verdicts(rid)).rule.strength in allowed and v.count(Status.FAIL)]
        if failing:
            print(f"shequ-gov: FAIL verdicts in {len(failing)} rule(s) of strength {args.fail_on}"
                  f"{' or stronger' if args.fail_on not in ('any', 'mandatory') else ''}: {', '.join(failing)}",
                  file=sys.stderr)
            return 1
    return 0


def _emit_summary(report: Any, level: str, fmt: str, output: str | None) -> None:
    """``--level`` with json or csv: the summary per region of *level* instead of every verdict."""
    table = report.summary(level=level)
    if fmt == "csv":
        _emit(table.to_csv(), output, table.to_csv)
        return
    import json

    rows = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()} for r in table.rows()]
    text = json.dumps({"schema": "shequ-gov-summary/1", "metadata": report.metadata(), "level": level,
                       "summary": rows}, ensure_ascii=False, indent=1) + "\n"
    from ._io import atomic_write

    _emit(text, output, lambda p: atomic_write(p, lambda f: f.write(text.encode("utf-8"))))


def _emit(text: str | None, output: str | None, write: Any) -> None:
    if output:
        write(output)
    else:
        sys.stdout.write(text or "")


def _explain(args: Any) -> int:
    _, report = _evaluated(args)
    print(report.explain(args.code, args.rule_id))
    return 0


def _convert(args: Any) -> int:
    ds = _read(args.input)
    _write(ds, args.output, args.partition_by)
    print(f"wrote {len(ds):,} communities to {args.output}", file=sys.stderr)
    return 0


def _template(args: Any) -> int:
    from ._template import template

    if not args.output.lower().endswith(".xlsx"):
        raise ValueError(f"the template is a workbook: give a path ending in .xlsx, got {args.output!r}")
    template(args.output, policies=args.policies)
    print(f"wrote {args.output}")
    return 0


def _synth(args: Any) -> int:
    from . import synth

    scale: Any = int(args.scale) if str(args.scale).isdigit() else args.scale
    skeleton = _read(args.skeleton) if args.skeleton else None
    ds = synth.generate(scale, seed=args.seed, skeleton=skeleton, progress=not args.no_progress)
    from ._progress import QUIET

    _write(ds, args.output, progress=QUIET if args.no_progress else None)
    print(f"wrote {len(ds):,} communities to {args.output}", file=sys.stderr)
    return 0


def _catalogue(args: Any) -> int:
    from . import catalogue, policies

    if args.what == "rst":
        for p in catalogue.write_rst_pages(args.path, [policies.load(n) for n in policies.available()]):
            print(p)
        return 0
    name = args.policy or Path(args.path).resolve().parent.name
    pol = policies.load(name)
    if args.check:
        if catalogue.readme_is_current(args.path, pol):
            return 0
        print(f"shequ-gov: {args.path} is out of date: run `shequ-gov catalogue readme {args.path}`", file=sys.stderr)
        return 1
    changed = catalogue.update_readme(args.path, pol)
    print(f"{args.path}: {'updated' if changed else 'already current'}")
    return 0


def _new_policy(args: Any) -> int:
    from .scaffold import new_policy

    out = new_policy(args.name, jurisdiction=args.jurisdiction, source=args.source, directory=args.output)
    print(f"wrote the plug-in {args.name} to {out}; next: pip install -e \"{out}[test]\" && pytest {out}")
    return 0


def _serve(args: Any) -> int:
    from .server import serve

    if args.workers < 1 or args.max_body_mb <= 0:
        raise ValueError("--workers must be ≥ 1 and --max-body-mb > 0")
    serve(host=args.host, port=args.port, policies=args.policies, workers=args.workers,
          max_body_bytes=int(args.max_body_mb * 2**20), decision_log=args.decision_log)
    return 0


def _bench(args: Any) -> int:
    try:
        from benchmarks.__main__ import main as bench_main
    except ImportError:
        print("shequ-gov: the benchmarks live in the source checkout: run `make bench` there", file=sys.stderr)
        return 2
    return bench_main(args.names)


def _what_if_parsers(sub: Any) -> None:
    c = sub.add_parser("compare", help="evaluate a dataset under the policies and under a reform; show what changes")
    w = sub.add_parser("sweep", help="evaluate a dataset once per value of one parameter (a sensitivity curve)")
    for q in (c, w):
        q.add_argument("data", help="dataset file")
        q.add_argument("--as-of", help="evaluation date, YYYY-MM-DD (default: today)")
        q.add_argument("--mode", choices=("jurisdiction", "what-if"), default="jurisdiction")
        q.add_argument("--level", choices=("province", "city", "district", "street"), help="per region of this level")
        q.add_argument("--format", choices=("table", "csv", "json", "html") if q is c else ("table", "csv", "html"),
                       default="table")
        q.add_argument("--output", "-o", help="write to this file (atomically) instead of standard output")
    c.add_argument("--policy", action="append", dest="policies", metavar="NAME", required=True)
    c.add_argument("--set", action="append", dest="changes", metavar='NAME="VALUE"', required=True,
                   help='a parameter and its reformed value, as in the data file: service_housing_min_area="350 m**2"')
    c.add_argument("--from", dest="from_", metavar="DATE", help="the reform applies from this date (default: always)")
    c.add_argument("--reason", default="what-if reform from the command line", help="why (shown in explanations)")
    c.add_argument("--label", help="a short name for the reform")
    w.add_argument("--policy", required=True, metavar="NAME")
    w.add_argument("--parameter", required=True)
    w.add_argument("--values", required=True, help='"300..600 step 25 m**2" or "350 m**2, 400 m**2"')
    w.add_argument("--rule", action="append", dest="rules", metavar="ID", help="only these rules (default: all reading it)")
    w.add_argument("--scheduler", metavar="ADDRESS", help="run the scenarios on this Dask scheduler (needs [dask])")


def _compare(args: Any) -> int:
    from ._engine import _resolve, evaluate
    from ._report import Table
    from ._scenario import compare, reform_policies

    changes = {}
    for item in args.changes:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise ValueError(f'--set expects NAME=VALUE (service_housing_min_area="350 m**2"), got {item!r}')
        changes[name.strip()] = _literal(value.strip())
    pols = _resolve(args.policies)
    reformed = reform_policies(pols, changes, reason=args.reason, label=args.label, from_=args.from_)
    ds = _read(args.data)
    cmp = compare(evaluate(ds, pols, as_of=args.as_of, mode=args.mode),
                  evaluate(ds, reformed, as_of=args.as_of, mode=args.mode))
    if args.format == "json":
        _emit(cmp.to_json(), args.output, lambda p: cmp.to_json(p))
        return 0
    if args.format == "csv":
        _emit(cmp.changed().to_csv(), args.output, lambda p: cmp.changed().to_csv(p))
        return 0
    if args.format == "html":
        _emit(cmp.to_html(), args.output, lambda p: cmp.to_html(p))
        return 0
    changes_txt = ", ".join(f"{k} = {v}" for k, v in changes.items())
    summary = cmp.summary(level=args.level)
    reading = {r.id for p in pols for r in p.rules if set(r.parameters) & set(changes)}
    keep = [i for i, rid in enumerate(summary.columns["rule"]) if rid in reading]
    summary = Table({k: [list(v)[i] for i in keep] for k, v in summary.columns.items()})
    text = (f"{len(ds):,} communities · {', '.join(p.id for p in pols)} · as of {cmp.baseline.as_of} · "
            f"mode {args.mode} · reform: {changes_txt}\n\nVerdicts that change / 结论变化:\n"
            + cmp.transitions(changed_only=True).format() + "\n\nPass rates of the rules reading "
            "the changed parameters / 受影响规则的达标率:\n" + summary.format() + "\n")
    _emit(text, args.output, lambda p: Path(p).write_text(text, encoding="utf-8"))
    return 0


def _literal(value: str) -> Any:
    """A --set value: a quoted or bare quantity string, a plain number, or a comma-separated list of keys."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    for number in (int, float):
        try:
            return number(value)
        except ValueError:
            pass
    if "," in value and not any(ch.isdigit() for ch in value):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def _sweep(args: Any) -> int:
    from ._scenario import sweep

    ds = _read(args.data)
    table = sweep(ds, args.policy, args.parameter, args.values, as_of=args.as_of, mode=args.mode, rules=args.rules,
                  scheduler=args.scheduler, level=args.level)
    if args.format == "html":
        from ._scenario import sweep_html

        _emit(sweep_html(table, title=args.parameter), args.output,
              lambda p: sweep_html(table, p, title=args.parameter))
        return 0
    text = table.to_csv() if args.format == "csv" else table.format() + "\n"
    _emit(text, args.output, lambda p: table.to_csv(p) if args.format == "csv" else
          Path(p).write_text(text or "", encoding="utf-8"))
    return 0


_COMMANDS = {"policies": _policies, "evaluate": _evaluate, "explain": _explain, "synth": _synth, "convert": _convert,
             "catalogue": _catalogue, "new-policy": _new_policy, "serve": _serve, "bench": _bench,
             "template": _template, "compare": _compare, "sweep": _sweep}

if __name__ == "__main__":
    raise SystemExit(main())
