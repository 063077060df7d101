"""The ``shequ-gov`` command line: list policies, evaluate a dataset, explain a verdict, make data.

Exit codes: 0 success; 1 the evaluation found failures and ``--fail-on`` was given; 2 bad input
(the message says what and where; no traceback).
"""

from __future__ import annotations

import argparse
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
    e.add_argument("data", help="dataset file: .json, .json.gz, .csv or .csv.gz")
    e.add_argument("--policy", action="append", dest="policies", metavar="NAME",
                   help="a policy id (repeatable; default: every installed policy)")
    e.add_argument("--as-of", help="evaluation date, YYYY-MM-DD (default: today)")
    e.add_argument("--mode", choices=("jurisdiction", "what-if"), default="jurisdiction")
    e.add_argument("--format", choices=("table", "json", "csv"), default="table")
    e.add_argument("--level", choices=("province", "city", "district", "street"),
                   help="with --format table: summarise per region of this level")
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

    s = sub.add_parser("synth", help="generate a synthetic dataset")
    s.add_argument("--scale", default="city", help="tiny, city, province, national, or a number of communities")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--skeleton", help="real division list to build on (e.g. cn_divisions_2023.csv.gz)")
    s.add_argument("--output", "-o", required=True, help="output file (.json or .json.gz)")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")

    k = sub.add_parser("catalogue", help="regenerate a plug-in README's rules table, or the docs' catalogue pages")
    k.add_argument("what", choices=("readme", "rst"))
    k.add_argument("path", help="README.md to update (readme) or a directory for the pages (rst)")
    k.add_argument("--policy", help="the policy of the README (default: the README's plug-in folder name)")
    k.add_argument("--check", action="store_true", help="do not write: exit 1 if the README is out of date")

    b = sub.add_parser("bench", help="run the benchmarks (see benchmarks/)")
    b.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from ._errors import PolicyError, ValidationError

    try:
        return _COMMANDS[args.command](args)
    except (ValidationError, PolicyError) as exc:
        print(f"shequ-gov: {exc}", file=sys.stderr)
        return 2
    except (KeyError, ValueError, TypeError, OSError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"shequ-gov: {msg}", file=sys.stderr)
        return 2


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


def _read(path: str) -> Any:
    from ._dataset import Dataset

    return Dataset.read(path)


def _evaluate(args: Any) -> int:
    from ._engine import evaluate

    ds = _read(args.data)
    report = evaluate(ds, args.policies, as_of=args.as_of, mode=args.mode)
    if (args.excel or args.zh_status) and args.format != "csv":
        print("shequ-gov: --excel and --zh-status go with --format csv", file=sys.stderr)
        return 2
    if args.format == "json":
        _emit(None if args.output else report.to_json(), args.output, lambda p: report.to_json(p))
    elif args.format == "csv":
        opts = {"excel": args.excel, "zh_status": args.zh_status}
        if args.zh_status and not args.excel:
            print("shequ-gov: --zh-status goes with --excel", file=sys.stderr)
            return 2
        _emit(None if args.output else report.to_csv(**opts), args.output, lambda p: report.to_csv(p, **opts))
    else:
        table = report.summary(level=args.level)
        head = (f"{len(ds):,} communities · {', '.join(p.id for p in report.policies)} · as of {report.as_of} · "
                f"mode {report.mode} · {len(report):,} verdicts\n")
        text = head + table.format() + "\n"
        _emit(text, args.output, lambda p: Path(p).write_text(text, encoding="utf-8"))
    if args.fail_on:
        allowed = STRENGTH_ORDER if args.fail_on == "any" else STRENGTH_ORDER[:STRENGTH_ORDER.index(args.fail_on) + 1]
        from ._engine import S_FAIL

        failing = [b.rule.id for b in report._blocks if b.rule.strength in allowed and
                   bool(((b.status == S_FAIL) & b.included).any())]
        if failing:
            print(f"shequ-gov: FAIL verdicts in {len(failing)} rule(s) of strength {args.fail_on}"
                  f"{' or stronger' if args.fail_on not in ('any', 'mandatory') else ''}: {', '.join(failing)}",
                  file=sys.stderr)
            return 1
    return 0


def _emit(text: str | None, output: str | None, write: Any) -> None:
    if output:
        write(output)
    else:
        sys.stdout.write(text or "")


def _explain(args: Any) -> int:
    from ._engine import evaluate

    ds = _read(args.data)
    report = evaluate(ds, args.policies, as_of=args.as_of, mode=args.mode)
    print(report.explain(args.code, args.rule_id))
    return 0


def _synth(args: Any) -> int:
    from . import synth

    scale: Any = int(args.scale) if str(args.scale).isdigit() else args.scale
    skeleton = _read(args.skeleton) if args.skeleton else None
    ds = synth.generate(scale, seed=args.seed, skeleton=skeleton, progress=not args.no_progress)
    ds.write(args.output)
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


def _bench(args: Any) -> int:
    try:
        from benchmarks.__main__ import main as bench_main
    except ImportError:
        print("shequ-gov: the benchmarks live in the source checkout: run `make bench` there", file=sys.stderr)
        return 2
    return bench_main(args.names)


_COMMANDS = {"policies": _policies, "evaluate": _evaluate, "explain": _explain, "synth": _synth,
             "catalogue": _catalogue, "bench": _bench}

if __name__ == "__main__":
    raise SystemExit(main())
