"""The Starlette application: routes, request checking, errors as the library gives them.

Every answer is JSON. Bad JSON is 400; a request or dataset with problems is 422 with every
problem (exactly ``ValidationError.problems``); an unknown policy, parameter, rule or code is 404
with a did-you-mean; a body over the limit is 413 before it is read whole. Loading, evaluating and
serialising a large document run in a worker thread, so the event loop keeps answering (``/healthz``)
meanwhile; a small one (a few milliseconds of work) is answered on the loop, sparing the thread hop.
No traceback ever reaches a client: an unexpected fault is logged on the server and answered 500.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
import os
import re
import sys
import time
import traceback
import uuid
from typing import Any, Iterable

from starlette.applications import Starlette
import anyio.to_thread
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .. import policies as registry
from .._dataset import Dataset
from .._engine import MODES, evaluate
from .._errors import ValidationError
from .._policy import Policy, _as_date
from .._vocab import Level
from ._log import DecisionLog, verdict_counts
from ._openapi import FINDINGS, openapi

__all__ = ["create_app"]

DEFAULT_MAX_BODY = 64 * 2**20
CONFIG_ENV = "SHEQU_GOV_SERVE_CONFIG"
#: Worker threads for evaluation per process (see _Service.cpu).
CPU_THREADS = 2
#: Bodies smaller than this are answered on the event loop, larger ones in a worker thread (see _Service.handle).
INLINE_BYTES = 2**16
_log = logging.getLogger("shequ_gov.server")
_JSON = "application/json"


class _Answer(Exception):
    """An error answer: status, title, detail and (for 422) the problems."""

    def __init__(self, status: int, title: str, detail: str, problems: Iterable[tuple[str, str]] | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.problems = list(problems) if problems is not None else None


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _json(obj: Any, status: int = 200) -> Response:
    return Response(_dumps(obj), status_code=status, media_type=_JSON)


def _error(exc: _Answer, request_id: str) -> Response:
    body: dict[str, Any] = {"status": exc.status, "title": exc.title, "detail": exc.detail, "request_id": request_id}
    if exc.problems is not None:
        body["problems"] = [{"location": loc, "message": msg} for loc, msg in exc.problems]
    return _json(body, exc.status)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _loads(raw: bytes) -> Any:
    """Strict JSON: NaN and Infinity, which Python's parser would take, are refused."""
    return json.loads(raw, parse_constant=_no_constant)


def _hint(name: str, known: Iterable[str]) -> str:
    found = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {found[0]!r}?" if found else ""


def _date(value: Any, where: str, problems: list[tuple[str, str]]) -> dt.date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append((where, f"expected a date YYYY-MM-DD, got {value!r}"))
        return None
    try:
        return _as_date(value)
    except (ValueError, TypeError) as exc:
        problems.append((where, str(exc)))
        return None


class _Service:
    """The state behind the routes: the policies served, the limits and the decision log."""

    def __init__(self, policies: Any, max_body_bytes: int, decision_log: Any):
        if policies is None:
            pols = [registry.load(n) for n in registry.available()]
        else:
            items = [policies] if isinstance(policies, (str, Policy)) else list(policies)
            pols = [p if isinstance(p, Policy) else registry.load(p) for p in items]
        self.policies: dict[str, Policy] = {p.id: p for p in pols}
        self.rule_owner = {r.id: p.id for p in pols for r in p.rules}
        if not isinstance(max_body_bytes, int) or max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be a positive whole number of bytes, got {max_body_bytes!r}")
        self.max_body = max_body_bytes
        self.log = decision_log if isinstance(decision_log, DecisionLog) or decision_log is None \
            else DecisionLog(decision_log)
        self.spec = _dumps(openapi())
        self._limiter: Any = None

    async def cpu(self, fn: Any, *args: Any) -> Any:
        """Run *fn* in a worker thread, at most ``CPU_THREADS`` at a time in this process.

        CPU-bound work gains nothing from more threads (one interpreter lock), and many would starve
        the event loop of it: requests wait their turn on the loop instead, which keeps answering
        ``/healthz`` and reading the next requests' bodies.
        """
        if self._limiter is None:  # created inside the running loop
            self._limiter = anyio.CapacityLimiter(CPU_THREADS)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    # --- helpers -----------------------------------------------------------------------------------
    def policy(self, pid: str) -> Policy:
        p = self.policies.get(pid)
        if p is None:
            raise _Answer(404, "unknown policy", f"no policy {pid!r}{_hint(pid, self.policies)} "
                                                 f"(served: {', '.join(self.policies) or 'none'})")
        return p

    async def read(self, request: Request) -> bytes:
        """The request's body, read within the size limit."""
        declared = request.headers.get("content-length")
        limit = self.max_body
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _Answer(413, "request body too large", f"the body is {int(declared):,} bytes; the limit is "
                                                          f"{limit:,} bytes (shequ-gov serve --max-body-mb)")
        chunks, size = [], 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _Answer(413, "request body too large", f"the body exceeds the limit of {limit:,} bytes "
                                                                  "(shequ-gov serve --max-body-mb)")
                chunks.append(chunk)
        except ClientDisconnect:
            raise _Answer(400, "incomplete body", "the client went away before sending the whole body") from None
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    @staticmethod
    def parse(raw: bytes) -> dict[str, Any]:
        """The body's JSON object; 400 for bad JSON, 422 for JSON that is not an object."""
        try:
            doc = _loads(raw)
        except UnicodeDecodeError as exc:
            raise _Answer(400, "malformed JSON", f"the body is not UTF-8: {exc}") from None
        except json.JSONDecodeError as exc:
            raise _Answer(400, "malformed JSON", f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        except (ValueError, RecursionError) as exc:  # NaN, 5,000-digit numbers, nesting past the stack
            raise _Answer(400, "malformed JSON", f"not acceptable JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise _Answer(422, "invalid request", "the body must be a JSON object",
                          [("", f"expected a JSON object, got {type(doc).__name__}")])
        return doc

    async def handle(self, request: Request, work: Any) -> Response:
        """Read the body and answer ``work(raw body, request id, start time)``: on the event loop for a
        small body (a few milliseconds of work: a thread hop would cost more than it gives), in a
        worker thread for a larger one, so that the loop keeps answering (``/healthz``) meanwhile."""
        started = time.perf_counter()
        raw = await self.read(request)
        rid = request.state.request_id
        if len(raw) < INLINE_BYTES:
            return work(raw, rid, started)
        return await self.cpu(work, raw, rid, started)

    def common(self, doc: dict[str, Any], allowed: tuple[str, ...]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Check the fields every POST shares; unknown keys and bad values become problems."""
        problems: list[tuple[str, str]] = []
        for k in doc:
            if k not in allowed:
                problems.append((k, f"unknown field {k!r}{_hint(k, allowed)} (expected: {', '.join(allowed)})"))
        out: dict[str, Any] = {}
        if "dataset" not in doc or doc["dataset"] is None:
            problems.append(("dataset", "required: a dataset in the interchange format (schema shequ-gov/1)"))
        out["as_of"] = _date(doc.get("as_of"), "as_of", problems)
        mode = doc.get("mode", "jurisdiction")
        if mode not in MODES:
            problems.append(("mode", f"expected one of: {', '.join(MODES)}, got {mode!r}"))
        out["mode"] = mode
        names = doc.get("policies")
        if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
            problems.append(("policies", f"expected a list of policy ids, got {names!r}"))
            names = None
        elif names is not None and len(set(names)) != len(names):
            problems.append(("policies", "a policy is given more than once"))
            names = None
        out["policies"] = names
        return out, problems

    @staticmethod
    def dataset(doc: Any, problems: list[tuple[str, str]]) -> Dataset | None:
        """The request's dataset, its problems added to *problems*; raises 422 when there are any."""
        ds = None
        if doc is not None:
            try:
                ds = Dataset.from_dict(doc)
            except ValidationError as exc:
                problems.extend(exc.problems)
            except RecursionError:
                problems.append(("dataset", "nested too deeply"))
        if problems:
            raise _Answer(422, "invalid request", f"{len(problems)} problem{'s' if len(problems) != 1 else ''} "
                                                  "in the request", problems)
        return ds

    def write_log(self, rid: str, kind: str, report: Any, started: float, extra: dict[str, Any],
                  md: dict[str, Any] | None = None) -> None:
        if self.log is None:
            return
        md = md or report.metadata()
        self.log.write({"request_id": rid, "kind": kind, "worker": os.getpid(),
                        "dataset_sha256": md["dataset_sha256"], "communities": md["communities"],
                        "policies": md["policies"], "as_of": md["as_of"], "mode": md["mode"], **extra,
                        "verdicts": verdict_counts(report),
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3)})


# --- routes ----------------------------------------------------------------------------------------

def _svc(request: Request) -> _Service:
    return request.app.state.service


async def healthz(request: Request) -> Response:
    import shequ_gov

    return _json({"status": "ok", "version": shequ_gov.__version__, "policies": list(_svc(request).policies)})


def _summary(p: Policy) -> dict[str, Any]:
    return {"id": p.id, "name": {"zh": p.name_zh, "en": p.name_en}, "version": p.version,
            "distribution": p.distribution, "jurisdiction": list(p.jurisdiction), "rule_count": len(p.rules)}


def _cite(c: Any) -> dict[str, str]:
    return {"source": c.source.describe(), "quote": c.quote}


def _value(v: Any) -> Any:
    from .._policy import value_to_json

    return value_to_json(v)


async def list_policies(request: Request) -> Response:
    return _json([_summary(p) for p in _svc(request).policies.values()])


async def get_policy(request: Request) -> Response:
    p = _svc(request).policy(request.path_params["policy_id"])
    d = _summary(p)
    d["description"] = {"zh": p.description_zh, "en": p.description_en}
    d["sources"] = [{"id": s.id, "title": s.title, "issuer": s.issuer, "number": s.number,
                     "date": s.date.isoformat() if s.date else None, "file": s.file, "cited_in": s.cited_in,
                     "describe": s.describe()} for s in p.sources.values()]
    d["parameters"] = [{"name": par.name, "unit": par.unit,
                        "description": {"zh": par.description_zh, "en": par.description_en},
                        "values": [{"from": v.start.isoformat(), "value": _value(v.value), "shown": par.format(v.value),
                                    "citation": _cite(v.citation)} for v in par.values]}
                       for par in p.parameters.values()]
    d["rules"] = [{"id": r.id, "title": {"zh": r.title_zh, "en": r.title_en}, "level": r.level.value, "kind": r.kind,
                   "strength": r.strength, "from": r.start.isoformat(), "until": r.end.isoformat() if r.end else None,
                   "area_types": sorted(a.value for a in r.area_types) if r.area_types else None, "scope": r.scope,
                   "parameters": list(r.parameters), "condition": {"zh": r.description_zh, "en": r.description_en},
                   "citation": _cite(r.citation)} for r in p.rules]
    return _json(d)


async def get_parameter(request: Request) -> Response:
    p = _svc(request).policy(request.path_params["policy_id"])
    name = request.path_params["name"]
    par = p.parameters.get(name)
    if par is None:
        raise _Answer(404, "unknown parameter", f"policy {p.id!r} has no parameter {name!r}{_hint(name, p.parameters)}")
    problems: list[tuple[str, str]] = []
    raw = request.query_params.get("as_of")
    day = _date(raw, "as_of", problems) if raw is not None else dt.date.today()
    if problems or day is None:
        raise _Answer(422, "invalid request", "bad query parameter", problems)
    e = par.entry(day)
    return _json({"policy": p.id, "name": par.name, "unit": par.unit,
                  "description": {"zh": par.description_zh, "en": par.description_en}, "as_of": day.isoformat(),
                  "in_force": e is not None, "value": _value(e.value) if e else None,
                  "shown": par.format(e.value) if e else None, "from": e.start.isoformat() if e else None,
                  "citation": _cite(e.citation) if e else None})


# a non-finite number as Report.to_json writes it: a bare token where a JSON value belongs, i.e.
# [:,\[]-?(?:inf|nan)[,}\]] — found from the token (a literal: a fast scan), then the characters before it
_NONFINITE = tuple(re.compile(token + r"(?=[,}\]])") for token in ("inf", "nan"))


def _nonfinite(text: str) -> bool:
    for pattern in _NONFINITE:
        for m in pattern.finditer(text):
            i = m.start() - (m.start() > 0 and text[m.start() - 1] == "-")
            if i > 0 and text[i - 1] in ":,[":
                return True
    return False


def _overflow() -> _Answer:
    return _Answer(422, "invalid request", "values too large to compute with", [(
        "dataset", "some values are so large that the rules' arithmetic overflows (infinite results); check the "
                   "units and magnitudes of the data")])


_EVALUATE_KEYS = ("dataset", "as_of", "mode", "policies", "findings", "summary")
_EXPLAIN_KEYS = ("dataset", "code", "rule", "as_of", "mode", "policies")
_SUMMARY_LEVELS = tuple(lv.value for lv in Level)


async def post_evaluate(request: Request) -> Response:
    svc = _svc(request)

    def work(raw: bytes, rid: str, started: float) -> Response:
        doc = svc.parse(raw)
        args, problems = svc.common(doc, _EVALUATE_KEYS)
        findings = doc.get("findings", "all")
        if findings not in FINDINGS:
            problems.append(("findings", f"expected one of: {', '.join(FINDINGS)}, got {findings!r}"))
        level = doc.get("summary")
        if level is not None and level not in _SUMMARY_LEVELS:
            problems.append(("summary", f"expected null or a level ({', '.join(_SUMMARY_LEVELS)}), got {level!r}"))
        ds = svc.dataset(doc.get("dataset"), problems)
        names = args["policies"]
        pols = list(svc.policies.values()) if names is None else [svc.policy(n) for n in names]
        report = evaluate(ds, pols, as_of=args["as_of"], mode=args["mode"])
        text = report.to_json()
        if _nonfinite(text):  # numbers past float range give no valid JSON: say so, not a 500
            raise _overflow()
        md = None
        if svc.log is not None:  # the metadata as written, without parsing the whole report
            md = json.JSONDecoder().raw_decode(text, text.index('"metadata":') + len('"metadata":'))[0]
        if findings == "all" and level is None:
            body = text.encode("utf-8")
        else:
            out = json.loads(text)
            if findings == "none":
                out["findings"] = []
            elif findings == "non_passing":
                out["findings"] = [f for f in out["findings"] if f["status"] != "pass"]
            if level is not None:
                out["summary"] = [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
                                  for row in report.summary(level=level).rows()]
            body = _dumps(out)
        svc.write_log(rid, "evaluate", report, started, {"findings": findings}, md)
        return Response(body, media_type=_JSON)

    return await svc.handle(request, work)


async def post_explain(request: Request) -> Response:
    svc = _svc(request)
    from .._codes import normalize_code

    def work(raw: bytes, rid: str, started: float) -> Response:
        doc = svc.parse(raw)
        args, problems = svc.common(doc, _EXPLAIN_KEYS)
        code = doc.get("code")
        if code is None:
            problems.append(("code", "required: the division code of the community or region to explain"))
        else:
            try:
                code = normalize_code(code) if isinstance(code, str) else None
                if code is None:
                    problems.append(("code", f"expected a division code as a string, got {doc.get('code')!r}"))
            except ValueError as exc:
                problems.append(("code", str(exc)))
                code = None
        rule = doc.get("rule")
        if not isinstance(rule, str) or not rule:
            problems.append(("rule", f"required: a rule id such as 'loudi.staffing.ratio', got {rule!r}"))
            rule = None
        ds = svc.dataset(doc.get("dataset"), problems)
        assert ds is not None and code is not None and rule is not None
        names = args["policies"]
        served = list(svc.policies) if names is None else [svc.policy(n).id for n in names]
        owner = svc.rule_owner.get(rule)
        if owner is None or owner not in served:
            known = [r for r, p in svc.rule_owner.items() if p in served]
            raise _Answer(404, "unknown rule",
                          f"no rule {rule!r} in {', '.join(served) or 'no policy'}{_hint(rule, known)}")
        if code not in ds:
            raise _Answer(404, "unknown code", f"no region or community with code {code} in the dataset")
        report = evaluate(ds, [svc.policies[owner]], as_of=args["as_of"], mode=args["mode"])
        try:
            expl = report.explanation(code, rule)
        except KeyError as exc:  # the rule judges another level than the unit's
            raise _Answer(422, "invalid request", "the rule does not judge this unit",
                          [("code", exc.args[0] if exc.args else str(exc))]) from None
        try:
            out = _dumps(expl.to_dict())
        except ValueError:  # an infinite number: no valid JSON for it
            raise _overflow() from None
        svc.write_log(rid, "explain", report, started, {"rule": rule, "code": code, "status": expl.status.value})
        return Response(out, media_type=_JSON)

    return await svc.handle(request, work)


async def get_openapi(request: Request) -> Response:
    return Response(_svc(request).spec, media_type=_JSON)


async def get_docs(request: Request) -> Response:
    from ._docs import html_page

    return HTMLResponse(html_page(json.loads(_svc(request).spec)))


# --- the ASGI wrapper: request ids, JSON errors, no traceback --------------------------------------

class _Guard:
    """Gives each request an id (``X-Request-ID``, the client's if it sent one) and the answer its header."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for k, v in scope.get("headers", ()):
            if k == b"x-request-id":
                rid = v.decode("latin-1")[:64]
                rid = rid if rid.isprintable() and rid.strip() else ""
        rid = rid or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        started = False

        async def send_with_id(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if started:  # answered already (500 by the fault handler, which logged it): nothing to add
                return
            raise


async def _answer(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, _Answer)
    return _error(exc, request.state.request_id)


async def _fault(request: Request, exc: Exception) -> Response:
    rid = request.state.request_id
    print(f"shequ-gov server: request {rid} failed:\n{''.join(traceback.format_exception(exc))}", file=sys.stderr)
    return _error(_Answer(500, "internal error", f"the service failed on this request; its log names request {rid}"),
                  rid)


def _not_found(paths: list[str]) -> Any:
    async def handler(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        rid = request.state.request_id
        if status == 405:
            return _error(_Answer(405, "method not allowed", f"{request.method} is not allowed on {request.url.path}"),
                          rid)
        path = request.url.path
        return _error(_Answer(status, "not found", f"no endpoint {path}{_hint(path, paths)} "
                                                   f"(endpoints: {', '.join(paths)})"), rid)
    return handler


def create_app(policies: Any = None, *, max_body_bytes: int = DEFAULT_MAX_BODY,
               decision_log: str | os.PathLike[str] | None = None) -> Any:
    """The ASGI application of the service, to run with uvicorn or mount in an existing stack.

    Parameters
    ----------
    policies:
        The policies served: ``None`` (every installed one), a policy id or :class:`~shequ_gov.Policy`,
        or a list of them.
    max_body_bytes:
        The largest request body accepted; a larger one is answered 413 before it is read whole.
    decision_log:
        A file to append one JSON line to per evaluation or explanation (never the dataset's content).
    """
    svc = _Service(policies, max_body_bytes, decision_log)
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/policies", list_policies, methods=["GET"]),
        Route("/policies/{policy_id}", get_policy, methods=["GET"]),
        Route("/policies/{policy_id}/parameters/{name}", get_parameter, methods=["GET"]),
        Route("/evaluate", post_evaluate, methods=["POST"]),
        Route("/explain", post_explain, methods=["POST"]),
        Route("/openapi.json", get_openapi, methods=["GET"]),
        Route("/docs", get_docs, methods=["GET"]),
    ]
    paths = [r.path for r in routes]
    app = Starlette(routes=routes, exception_handlers={404: _not_found(paths), 405: _not_found(paths),
                                                       _Answer: _answer, Exception: _fault})
    app.state.service = svc
    guarded = _Guard(app)
    guarded.state = app.state  # type: ignore[attr-defined]  # reachable by embedders
    return guarded


def _app_from_env() -> Any:
    """The app of ``shequ-gov serve`` (each uvicorn worker builds it from the configuration in the environment)."""
    cfg = json.loads(os.environ[CONFIG_ENV])
    return create_app(cfg["policies"], max_body_bytes=cfg["max_body_bytes"], decision_log=cfg["decision_log"])
