"""The OpenAPI 3 description of the HTTP service, derived from the library's own declarations.

The request body's ``dataset`` is described from the record declarations of ``_schema`` (each
field's kind, unit, vocabulary and bilingual label), the statuses and levels from ``_vocab``, so
the spec cannot disagree with what the library accepts. Needs no web framework: the docs build
renders it offline.
"""

from __future__ import annotations

from typing import Any

from .. import _schema as S
from .. import _vocab as V
from .._engine import MODES
from .._report import REPORT_SCHEMA

__all__ = ["FINDINGS", "field_schema", "member_schema", "openapi", "record_schema"]

#: What ``POST /evaluate`` may answer in ``findings``.
FINDINGS = ("all", "non_passing", "none")
_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _vocab_schema(vocab: V.Vocabulary, what: str) -> dict[str, Any]:
    labels = "; ".join(f"`{t.key}` {t.zh} / {t.en}" for t in vocab.terms)
    if vocab.open:
        return {"type": "string", "minLength": 1,
                "description": f"{what}: {labels}; any other string is kept as written",
                "example": next(iter(vocab))}
    return {"type": "string", "enum": list(vocab), "description": f"{what}: {labels}"}


_CODE = {"type": "string", "pattern": "^[0-9]{2,12}$", "example": "431302001001"}


def _component(record: S.Record) -> str:
    """The schema name of a record (``staff member`` → ``StaffMember``)."""
    return "".join(w.capitalize() for w in record.name.split())


def field_schema(f: S.Field) -> dict[str, Any]:
    """The JSON Schema of one declared field (null = missing, as the library reads it)."""
    desc = f"{f.label}: {f.expected()}"
    k = f.kind
    if k == "quantity":
        s: dict[str, Any] = {"anyOf": [{"type": "number", "minimum": 0},
                                       {"type": "string", "minLength": 1, "example": f"12 {f.unit}"}]}
    elif k == "count":
        s = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "minLength": 1}]}
    elif k == "share":
        s = {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                       {"type": "string", "minLength": 1, "example": "60%"}]}
    elif k == "bool":
        s = {"type": "boolean"}
    elif k in ("enum", "key", "level"):
        s = _vocab_schema(V.LEVELS if k == "level" else f.vocab, f.label)  # type: ignore[arg-type]
        desc = s.pop("description")
    elif k == "keyset":
        item = _vocab_schema(f.vocab, f.label)  # type: ignore[arg-type]
        desc = item.pop("description")
        s = {"type": "array", "items": item}
    elif k == "code":
        s = dict(_CODE)
        desc = f"{f.label}: {f.expected()} (统计用区划代码; short forms are padded)"
    elif k == "text":
        s = {"type": "string", "minLength": 1, "pattern": r"\S"}
    else:
        s = {"type": "integer", "minimum": f.low}
        if f.high is not None:
            s["maximum"] = f.high
    if f.unit:
        s["x-unit"] = f.unit
    if not f.required:
        s["nullable"] = True
    return {**s, "description": desc}


def member_schema(m: Any) -> dict[str, Any]:
    """The JSON Schema of one member of a record: a field, a group, child records, tags or a year map."""
    if isinstance(m, S.Field):
        return field_schema(m)
    if isinstance(m, S.Group):
        return {**_ref(_component(m.record)), "nullable": True}
    if isinstance(m, S.Children):
        return {"type": "array", "items": _ref(_component(m.record)), "nullable": True,
                "description": f"{m.record.zh} / {m.record.en} (missing = unknown; [] = none)"}
    if isinstance(m, S.Tags):
        item = _vocab_schema(m.vocab, f"{m.zh} / {m.en}")
        return {"type": "array", "items": item, "nullable": True,
                "description": item.pop("description") + " (missing = unknown; [] = none)"}
    if isinstance(m, S.YearMap):
        return {"type": "object", "nullable": True, "propertyNames": {"pattern": "^[0-9]{4}$"},
                "additionalProperties": field_schema(m.field),
                "description": f"{m.field.label}, keyed by year ({m.low}–{m.high})"}
    raise TypeError(f"no schema for the member {m!r}")


def record_schema(record: S.Record) -> dict[str, Any]:
    """An object of the record's members; unknown keys are refused, as by the library."""
    s: dict[str, Any] = {"type": "object", "description": f"{record.zh} / {record.en}",
                         "properties": {m.name: member_schema(m) for m in record.members},
                         "additionalProperties": False}
    required = [m.name for m in record.members if isinstance(m, S.Field) and m.required]
    if required:
        s["required"] = required
    return s


def _dataset_schemas() -> dict[str, Any]:
    out = {_component(r): record_schema(r) for r in S.RECORDS}
    out["Dataset"] = {
        "type": "object", "required": ["schema"], "additionalProperties": False,
        "description": "The JSON interchange format (数据交换格式), schema `shequ-gov/1`.",
        "properties": {
            "schema": {"type": "string", "enum": ["shequ-gov/1"]},
            "regions": {"type": "array", "items": _ref(_component(S.REGION))},
            "communities": {"type": "array", "items": _ref(_component(S.COMMUNITY))},
            "metadata": {"type": "object", "description": "free-form, kept out of the evaluation"},
        },
    }
    return out


def _bilingual() -> dict[str, Any]:
    return {"type": "object", "required": ["zh", "en"], "additionalProperties": False,
            "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}}


_DATE = {"type": "string", "format": "date", "example": "2024-06-30"}
_NDATE = {**_DATE, "nullable": True}
_NUM = {"type": "number", "nullable": True}
_STR = {"type": "string"}
_NSTR = {"type": "string", "nullable": True}


def _obj(props: dict[str, Any], *, required: Any = None, description: str = "") -> dict[str, Any]:
    s: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False,
                         "required": list(props) if required is None else list(required)}
    if description:
        s["description"] = description
    return s


def _status() -> dict[str, Any]:
    return {"type": "string", "enum": [s.value for s in V.Status],
            "description": "; ".join(f"`{s.value}` {s.zh} / {s.en}" for s in V.Status)}


def _report_schemas() -> dict[str, Any]:
    statuses = [s.value for s in V.Status]
    citation = _obj({"source": _STR, "quote": _STR})
    rule = _obj({"id": _STR, "policy": _STR, "title": _bilingual(), "level": {"type": "string", "enum": list(V.LEVELS)},
                 "kind": _STR, "strength": _STR, "from": _DATE, "until": _NDATE,
                 "area_types": {"type": "array", "items": {"type": "string", "enum": list(V.AREA_TYPES)},
                                "nullable": True},
                 "scope": _NSTR, "unit": _NSTR, "error": _NSTR, "citation": citation})
    count = {"type": "integer", "minimum": 0}
    summary_props: dict[str, Any] = {"policy": _STR, "rule": _STR, "strength": _STR}
    region_props = {"region": _STR, "region_name": _STR}
    summary = _obj({**summary_props, **region_props, **{s: count for s in statuses},
                    "pass_rate": {"type": "number", "minimum": 0, "maximum": 1, "nullable": True}},
                   required=[*summary_props, *statuses, "pass_rate"],
                   description="Counts of each status per rule (and per region with `summary`); "
                               "pass_rate = pass / (pass + fail)")
    finding = _obj({"code": {"type": "string", "pattern": "^[0-9]{12}$"}, "rule": _STR, "status": _status(),
                    "measured": {"type": "number"}, "required": {"type": "number"}, "shortfall": {"type": "number"}},
                   required=["code", "rule", "status"],
                   description="One verdict; the numbers are in the rule's unit, absent where there are none")
    metadata = _obj({
        "library": _obj({"name": _STR, "version": _STR}),
        "policies": {"type": "object", "additionalProperties": _obj(
            {"version": _STR, "distribution": _NSTR, "parameters_sha256": _STR})},
        "as_of": _DATE, "mode": {"type": "string", "enum": list(MODES)},
        "dataset_sha256": _STR, "communities": count, "verdicts": count})
    report = _obj({"schema": {"type": "string", "enum": [REPORT_SCHEMA]}, "metadata": _ref("ReportMetadata"),
                   "rules": {"type": "array", "items": _ref("ReportRule")},
                   "summary": {"type": "array", "items": _ref("SummaryRow")},
                   "findings": {"type": "array", "items": _ref("Finding")}},
                  description=f"The report, exactly as `Report.to_json` writes it (schema `{REPORT_SCHEMA}`)")
    return {"Report": report, "ReportMetadata": metadata, "ReportRule": rule, "SummaryRow": summary,
            "Finding": finding}


def _explanation_schema() -> dict[str, Any]:
    full_citation = _obj({"source": _STR, "source_id": _STR, "title": _STR, "issuer": _NSTR, "number": _NSTR,
                          "date": _NDATE, "quote": _STR})
    param = _obj({"name": _STR, "value": {"nullable": True, "anyOf": [
        {"type": "number"}, {"type": "array", "items": _STR}]}, "unit": _STR, "shown": _STR, "from": _NDATE,
        "description": _bilingual(), "citation": {**full_citation, "nullable": True}})
    return {"Explanation": _obj({
        "rule": _obj({"id": _STR, "title": _bilingual(), "kind": _STR, "strength": _STR, "from": _DATE,
                      "until": _NDATE, "condition": _bilingual()}),
        "policy": _obj({"id": _STR, "name": _STR, "version": _STR}),
        "subject": _obj({"code": _STR, "name": _STR, "level": {"type": "string", "enum": list(V.LEVELS)},
                         "area_type": {"type": "string", "enum": list(V.AREA_TYPES), "nullable": True}}),
        "as_of": _DATE, "mode": {"type": "string", "enum": list(MODES)},
        "status": _status(), "status_label": _bilingual(), "message": _STR,
        "inputs": {"type": "array", "items": _obj({"label": _STR, "value": _NUM, "unit": _STR})},
        "parameters": {"type": "array", "items": param},
        "measured": _NUM, "required": _NUM, "unit": _STR, "shortfall": _NUM,
        "computation": {"type": "array", "items": _STR},
        "offending": {"type": "object", "additionalProperties": {"type": "array", "items": _STR}},
        "citation": full_citation,
        "text": {"type": "string", "description": "what `Report.explain` prints"},
    }, description="Why the unit got its status under the rule (Report.explanation)")}


def _policy_schemas() -> dict[str, Any]:
    summary = _obj({"id": _STR, "name": _bilingual(), "version": _STR, "distribution": _NSTR,
                    "jurisdiction": {"type": "array", "items": _STR}, "rule_count": {"type": "integer", "minimum": 0}})
    source = _obj({"id": _STR, "title": _STR, "issuer": _NSTR, "number": _NSTR, "date": _NDATE, "file": _NSTR,
                   "cited_in": _NSTR, "describe": _STR})
    citation = _obj({"source": _STR, "quote": _STR})
    value = _obj({"from": _DATE, "value": {"anyOf": [{"type": "number"}, {"type": "array", "items": _STR}]},
                  "shown": _STR, "citation": citation})
    parameter = _obj({"name": _STR, "unit": _STR, "description": _bilingual(),
                      "values": {"type": "array", "items": value}})
    rule = _obj({"id": _STR, "title": _bilingual(), "level": {"type": "string", "enum": list(V.LEVELS)},
                 "kind": _STR, "strength": _STR, "from": _DATE, "until": _NDATE,
                 "area_types": {"type": "array", "items": {"type": "string", "enum": list(V.AREA_TYPES)},
                                "nullable": True},
                 "scope": _NSTR, "parameters": {"type": "array", "items": _STR}, "condition": _bilingual(),
                 "citation": citation})
    detail = _obj({**summary["properties"], "description": _bilingual(),
                   "sources": {"type": "array", "items": source},
                   "parameters": {"type": "array", "items": parameter},
                   "rules": {"type": "array", "items": rule}})
    in_force = _obj({"policy": _STR, "name": _STR, "unit": _STR, "description": _bilingual(), "as_of": _DATE,
                     "in_force": {"type": "boolean"},
                     "value": {"nullable": True, "anyOf": [{"type": "number"}, {"type": "array", "items": _STR}]},
                     "shown": _NSTR, "from": _NDATE, "citation": {**citation, "nullable": True}})
    return {"PolicySummary": summary, "PolicyDetail": detail, "ParameterInForce": in_force}


def _request_schemas() -> dict[str, Any]:
    common = {
        "dataset": _ref("Dataset"),
        "as_of": {**_DATE, "description": "评估日期 / evaluation date (default: today)"},
        "mode": {"type": "string", "enum": list(MODES), "default": "jurisdiction",
                 "description": "`jurisdiction` 辖区: each policy judges its own communities; "
                                "`what-if` 假设: every policy judges every community"},
        "policies": {"type": "array", "items": _STR, "nullable": True, "uniqueItems": True,
                     "description": "policy ids (default: every policy the service serves)"},
    }
    levels = [lv.value for lv in V.Level if lv is not V.Level.COMMUNITY]
    evaluate = _obj({**common,
                     "findings": {"type": "string", "enum": list(FINDINGS), "default": "all",
                                  "description": "which verdicts to list: all, those not passing, or none"},
                     "summary": {"type": "string", "enum": levels + ["community"], "nullable": True,
                                 "default": None,
                                 "description": "summarise per region of this level (default: per rule)"}},
                    required=["dataset"])
    explain = _obj({**common, "code": {**_CODE, "description": "the community or region to explain"},
                    "rule": {"type": "string", "minLength": 1, "example": "loudi.staffing.ratio"}},
                   required=["dataset", "code", "rule"])
    return {"EvaluateRequest": evaluate, "ExplainRequest": explain}


def _error_schema() -> dict[str, Any]:
    problem = _obj({"location": _STR, "message": _STR})
    return {"Problem": problem, "Error": _obj({
        "status": {"type": "integer"}, "title": _STR, "detail": _STR, "request_id": _STR,
        "problems": {"type": "array", "items": _ref("Problem")}}, required=["status", "title", "detail", "request_id"],
        description="Every error: what went wrong; for 422 every problem with its location "
                    "(exactly `ValidationError.problems`)")}


def _errors(*codes: int) -> dict[str, Any]:
    words = {400: "malformed JSON, or a body that is not UTF-8 / JSON 格式错误",
             404: "unknown policy, parameter, rule or code (with a did-you-mean hint)",
             413: "request body over the limit",
             422: "a request or dataset with problems: every problem and its location",
             500: "an unexpected fault (no traceback is ever sent)"}
    return {str(c): {"description": words[c], "content": {"application/json": {"schema": _ref("Error")}}}
            for c in codes}


def _json(ref: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(ref)}}}


def openapi(version: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the service (a plain dict, ready for ``json.dumps``)."""
    if version is None:
        import shequ_gov

        version = shequ_gov.__version__
    schemas: dict[str, Any] = {}
    for part in (_dataset_schemas(), _report_schemas(), _explanation_schema(), _policy_schemas(),
                 _request_schemas(), _error_schema()):
        schemas.update(part)
    schemas["Health"] = _obj({"status": {"type": "string", "enum": ["ok"]}, "version": _STR,
                              "policies": {"type": "array", "items": _STR}})
    pid = {"name": "policy_id", "in": "path", "required": True, "schema": _STR, "example": "loudi"}
    paths = {
        "/healthz": {"get": {"operationId": "healthz", "summary": "Liveness / 健康检查",
                             "responses": {"200": _json("Health", "the service is up")}}},
        "/policies": {"get": {"operationId": "listPolicies", "summary": "The policies served / 政策列表",
                              "responses": {"200": {"description": "one entry per policy", "content": {
                                  "application/json": {"schema": {"type": "array",
                                                                  "items": _ref("PolicySummary")}}}}}}},
        "/policies/{policy_id}": {"get": {
            "operationId": "getPolicy", "summary": "A policy's sources, rules and dated parameters / 政策详情",
            "parameters": [pid],
            "responses": {"200": _json("PolicyDetail", "the policy"), **_errors(404)}}},
        "/policies/{policy_id}/parameters/{name}": {"get": {
            "operationId": "getParameter", "summary": "The value of a parameter in force on a date / 现行参数",
            "parameters": [pid, {"name": "name", "in": "path", "required": True, "schema": _STR},
                           {"name": "as_of", "in": "query", "required": False, "schema": _DATE,
                            "description": "default: today"}],
            "responses": {"200": _json("ParameterInForce", "the value in force"), **_errors(404, 422)}}},
        "/evaluate": {"post": {
            "operationId": "evaluate", "summary": "Evaluate a dataset / 评估",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("EvaluateRequest")}}},
            "responses": {"200": _json("Report", "the report"), **_errors(400, 404, 413, 422)}}},
        "/explain": {"post": {
            "operationId": "explain", "summary": "Explain one verdict / 解释一项结论",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ExplainRequest")}}},
            "responses": {"200": _json("Explanation", "the explanation"), **_errors(400, 404, 413, 422)}}},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "shequ-gov 社区治理 service", "version": version,
                 "description": "Chinese community-governance standards as cited, dated policies: evaluate "
                                "datasets and explain verdicts. Bodies are UTF-8 JSON; labels are bilingual."},
        "paths": paths,
        "components": {"schemas": schemas},
    }
