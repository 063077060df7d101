"""The HTTP service, tested against real servers: uvicorn in a subprocess on a free loopback port.

Three servers run for this module: ``shequ-gov serve`` with one worker, a 2 MiB body limit and a
decision log (most tests); the same with two workers (the load test and the shared decision log);
and ``tests/serve_broken.py``, which also serves a policy with a broken rule (ERROR verdicts) and
keeps the default body limit (a city-sized document while ``/healthz`` must still answer).
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import sys
import threading
import time
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

import shequ_gov as sg
from shequ_gov.server._run import load, running

AS_OF = "2024-06-30"
EXAMPLE = json.loads((resources.files("shequ_gov") / "examples" / "example.json").read_text(encoding="utf-8"))
LIMIT = 2 * 2**20
#: What the servers serve by default: the installed plug-ins (the toy policy of conftest is registered at run time).
INSTALLED = [n for n in sg.policies.available() if sg.policies.load(n).distribution]


def _client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, trust_env=False, timeout=120)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("server")
    log = d / "decisions.jsonl"
    with running(["--max-body-mb", "2", "--decision-log", str(log)], log=str(d / "server.out")) as url:
        yield SimpleNamespace(url=url, log=log, out=d / "server.out")


@pytest.fixture(scope="module")
def client(server):
    with _client(server.url) as c:
        yield c


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    d = tmp_path_factory.mktemp("broken")
    script = Path(__file__).parent / "serve_broken.py"
    with running(command=[sys.executable, str(script), "{port}"], log=str(d / "server.out")) as url:
        with _client(url) as c:
            yield c


@pytest.fixture(scope="module")
def example_report():
    return sg.evaluate(sg.Dataset.from_dict(EXAMPLE), INSTALLED, as_of=AS_OF)


def _problems(resp: httpx.Response) -> list[tuple[str, str]]:
    return [(p["location"], p["message"]) for p in resp.json()["problems"]]



def _read_response(s: socket.socket) -> str:
    """A whole HTTP response from a raw socket: the headers, then the body its Content-Length announces
    (a single recv may return the headers alone)."""
    data = b""
    while b"\r\n\r\n" not in data:
        more = s.recv(65536)
        if not more:
            break
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        more = s.recv(65536)
        if not more:
            break
        body += more
    return (head + b"\r\n\r\n" + body).decode("utf-8", "replace")

class TestPolicies:
    def test_lists_every_installed_policy(self, client):
        """GET /policies names each installed policy with its version, distribution, jurisdiction and rule count."""
        r = client.get("/policies")
        assert r.status_code == 200
        got = {p["id"]: p for p in r.json()}
        assert sorted(got) == INSTALLED
        for pid, p in got.items():
            pol = sg.policies.load(pid)
            assert p["rule_count"] == len(pol.rules)
            assert p["name"] == {"zh": pol.name_zh, "en": pol.name_en}
            assert (p["version"], p["distribution"], p["jurisdiction"]) == (pol.version, pol.distribution,
                                                                         list(pol.jurisdiction))

    def test_details_a_policy_with_rules_parameters_and_quotes(self, client):
        """GET /policies/{id} gives every rule with its citation and every dated parameter value with its quote."""
        pol = sg.policies.load("loudi")
        d = client.get("/policies/loudi").json()
        assert [r["id"] for r in d["rules"]] == [r.id for r in pol.rules]
        assert all(r["citation"]["quote"] == pr.citation.quote for r, pr in zip(d["rules"], pol.rules))
        params = {p["name"]: p for p in d["parameters"]}
        assert set(params) == set(pol.parameters)
        for name, par in pol.parameters.items():
            assert [v["from"] for v in params[name]["values"]] == [v.start.isoformat() for v in par.values]
            assert [v["citation"]["quote"] for v in params[name]["values"]] == [v.citation.quote for v in par.values]
            assert params[name]["unit"] == par.unit
        assert {s["id"] for s in d["sources"]} == set(pol.sources)

    def test_gives_the_parameter_value_in_force_on_a_date(self, client):
        """GET /policies/{id}/parameters/{name}?as_of= answers the value the library finds for that date."""
        pol = sg.policies.load("loudi")
        name, par = next(iter(pol.parameters.items()))
        first = par.values[0].start
        r = client.get(f"/policies/loudi/parameters/{name}", params={"as_of": AS_OF}).json()
        want = par.at(AS_OF)
        assert r["in_force"] is True and r["value"] == (list(want) if isinstance(want, tuple) else want)
        assert r["from"] == par.entry(dt.date.fromisoformat(AS_OF)).start.isoformat()
        before = client.get(f"/policies/loudi/parameters/{name}",
                            params={"as_of": first.replace(year=first.year - 1).isoformat()}).json()
        assert before["in_force"] is False and before["value"] is None

    def test_unknown_policy_and_parameter_are_404_with_a_hint(self, client):
        """An unknown policy or parameter is 404 and suggests the closest name."""
        r = client.get("/policies/loudy")
        assert r.status_code == 404 and "did you mean 'loudi'" in r.json()["detail"]
        name = next(iter(sg.policies.load("loudi").parameters))
        r = client.get(f"/policies/loudi/parameters/{name}x")
        assert r.status_code == 404 and f"did you mean {name!r}" in r.json()["detail"]

    def test_a_bad_date_is_422(self, client):
        """A date that is not YYYY-MM-DD is 422 naming as_of."""
        name = next(iter(sg.policies.load("loudi").parameters))
        r = client.get(f"/policies/loudi/parameters/{name}", params={"as_of": "2024-13-01"})
        assert r.status_code == 422 and _problems(r)[0][0] == "as_of"


class TestEvaluate:
    def test_answers_the_report_exactly_as_to_json_writes_it(self, client, example_report):
        """POST /evaluate answers byte for byte what Report.to_json gives for the same input."""
        r = client.post("/evaluate", json={"dataset": EXAMPLE, "as_of": AS_OF})
        assert r.status_code == 200
        assert r.content == example_report.to_json().encode("utf-8")
        assert r.json()["metadata"]["dataset_sha256"] == sg.Dataset.from_dict(EXAMPLE).fingerprint()

    def test_policies_mode_findings_and_summary_options(self, client):
        """Only the policies asked for; what-if mode; findings filtered; the summary per district."""
        report = sg.evaluate(sg.Dataset.from_dict(EXAMPLE), ["loudi", "xigang"], as_of=AS_OF, mode="what-if")
        full = json.loads(report.to_json())
        body = {"dataset": EXAMPLE, "as_of": AS_OF, "mode": "what-if", "policies": ["loudi", "xigang"]}
        none = client.post("/evaluate", json={**body, "findings": "none"}).json()
        assert none["findings"] == [] and none["rules"] == full["rules"] and none["metadata"] == full["metadata"]
        non_passing = client.post("/evaluate", json={**body, "findings": "non_passing"}).json()
        assert non_passing["findings"] == [f for f in full["findings"] if f["status"] != "pass"]
        assert 0 < len(non_passing["findings"]) < len(full["findings"])
        by_district = client.post("/evaluate", json={**body, "summary": "district"}).json()
        rows = [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
                for row in report.summary(level="district").rows()]
        assert by_district["summary"] == rows and by_district["findings"] == full["findings"]

    def test_a_broken_rule_gives_error_verdicts_not_a_500(self, broken):
        """A rule that raises yields ERROR verdicts (and the reason in its rule entry); the others still judge."""
        doc = {"dataset": EXAMPLE, "as_of": "2023-01-01", "policies": ["toy"], "mode": "what-if"}
        r = broken.post("/evaluate", json=doc)
        assert r.status_code == 200
        rep = r.json()
        area = [f["status"] for f in rep["findings"] if f["rule"] == "toy.area"]
        assert area and set(area) <= {"error", "not_applicable"} and "error" in area
        assert "no database" in next(x["error"] for x in rep["rules"] if x["id"] == "toy.area")
        assert {f["status"] for f in rep["findings"] if f["rule"] == "toy.banned_tasks"} - {"error"}


class TestExplain:
    def test_answers_the_structured_explanation_and_its_text(self, client):
        """POST /explain answers Report.explanation as data, with .text exactly Report.explain."""
        code = EXAMPLE["communities"][0]["code"]
        report = sg.evaluate(sg.Dataset.from_dict(EXAMPLE), "loudi", as_of=AS_OF, mode="what-if")
        for rule in ("loudi.staffing.ratio", "loudi.plaques.only_three", "loudi.facilities.service_housing_area"):
            r = client.post("/explain", json={"dataset": EXAMPLE, "code": code, "rule": rule, "as_of": AS_OF,
                                              "mode": "what-if"})
            assert r.status_code == 200
            got = r.json()
            assert got == json.loads(json.dumps(report.explanation(code, rule).to_dict(), ensure_ascii=False))
            assert got["text"] == report.explain(code, rule)
            assert got["status"] == report.status(code, rule).value
            assert got["citation"]["quote"] == sg.policies.load("loudi").rule(rule).citation.quote

    def test_unknown_rule_or_code_is_404_and_a_level_mismatch_422(self, client):
        """An unknown rule is 404 with a hint; a code not in the dataset 404; a rule of another level 422."""
        code = EXAMPLE["communities"][0]["code"]
        base = {"dataset": EXAMPLE, "as_of": AS_OF, "mode": "what-if"}
        r = client.post("/explain", json={**base, "code": code, "rule": "loudi.staffing.rati"})
        assert r.status_code == 404 and "did you mean 'loudi.staffing.ratio'" in r.json()["detail"]
        r = client.post("/explain", json={**base, "code": "431302999999", "rule": "loudi.staffing.ratio"})
        assert r.status_code == 404 and "431302999999" in r.json()["detail"]
        region = next(x["code"] for x in EXAMPLE["regions"] if x["level"] == "street")
        r = client.post("/explain", json={**base, "code": region, "rule": "loudi.staffing.ratio"})
        assert r.status_code == 422 and _problems(r)[0][0] == "code"


class TestErrors:
    def test_malformed_json_is_400(self, client):
        """A body that is not JSON, or not UTF-8, is 400 saying where."""
        r = client.post("/evaluate", content=b'{"dataset": ', headers={"content-type": "application/json"})
        assert r.status_code == 400 and "line 1" in r.json()["detail"]
        r = client.post("/evaluate", content='{"dataset": "社区"}'.encode("gbk"))
        assert r.status_code == 400
        for bad in (b'{"dataset": NaN}', b'{"dataset": ' + b"9" * 5000 + b"}", b"[" * 100_000):
            r = client.post("/evaluate", content=bad, headers={"content-type": "application/json"})
            assert r.status_code == 400, bad[:20]

    def test_a_bad_document_is_422_with_exactly_the_library_problems(self, client):
        """Every problem of the dataset comes back, exactly as ValidationError.problems lists them."""
        doc = json.loads(json.dumps(EXAMPLE))
        doc["communities"][0]["households"] = -5
        doc["communities"][1]["area_type"] = "urbn"
        doc["communities"][2]["facilities"] = [{"kind": "service_housing", "area": "12 yuan"}]
        with pytest.raises(sg.ValidationError) as exc:
            sg.Dataset.from_dict(doc)
        r = client.post("/evaluate", json={"dataset": doc})
        assert r.status_code == 422
        assert _problems(r) == exc.value.problems and len(exc.value.problems) >= 3

    def test_request_field_problems_come_together_with_the_dataset_ones(self, client):
        """Bad request fields and a bad dataset are reported at once, each with its location."""
        doc = json.loads(json.dumps(EXAMPLE))
        doc["communities"][0]["grids"] = "many"
        r = client.post("/evaluate", json={"dataset": doc, "mode": "whatif", "as_of": "30/06/2024",
                                           "findings": "some", "summary": "county", "polices": []})
        assert r.status_code == 422
        locations = [loc for loc, _ in _problems(r)]
        for where in ("mode", "as_of", "findings", "summary", "polices"):
            assert where in locations
        assert any(loc.endswith(".grids") for loc in locations)
        assert "did you mean 'policies'" in dict(_problems(r))["polices"]
        r = client.post("/evaluate", json=[1, 2])
        assert r.status_code == 422
        r = client.post("/evaluate", json={"as_of": AS_OF})
        assert r.status_code == 422 and ("dataset", _problems(r)[0][1]) == _problems(r)[0]

    def test_numbers_past_float_range_are_never_a_500(self, client):
        """Values so large that the arithmetic overflows: the engine's outcome check makes the rules whose
        numbers become infinite ERROR (issue 10), so the answer is valid JSON (no inf token), in every form
        (the service's 422 for a non-finite number in a report stays as a guard)."""
        doc = json.loads(json.dumps(EXAMPLE))
        for c in doc["communities"]:
            c["households"] = c["population"] = 1e308
        for findings in ("all", "none"):
            r = client.post("/evaluate", json={"dataset": doc, "as_of": AS_OF, "mode": "what-if",
                                               "findings": findings})
            assert r.status_code == 200, r.text
            out = json.loads(r.text, parse_constant=lambda t: pytest.fail(f"non-JSON number {t}"))
            if findings == "all":
                assert any(f["status"] == "error" for f in out["findings"])

    def test_an_unknown_policy_is_404_with_a_hint(self, client):
        """Asking to evaluate with a policy that is not served is 404 naming the closest one."""
        r = client.post("/evaluate", json={"dataset": EXAMPLE, "policies": ["lodi"]})
        assert r.status_code == 404 and "did you mean 'loudi'" in r.json()["detail"]

    def test_unknown_path_and_method(self, client):
        """An unknown path is 404 (with a hint), a wrong method 405; both JSON."""
        r = client.get("/polices")
        assert r.status_code == 404 and "/policies" in r.json()["detail"]
        r = client.get("/evaluate")
        assert r.status_code == 405 and r.json()["status"] == 405

    def test_a_declared_oversized_body_is_refused_before_it_is_sent(self, server):
        """413 answers as soon as the headers announce a body over the limit: the body is never read."""
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"POST /evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n{\"dataset\":" % (LIMIT * 50))
            head = _read_response(s)
        assert head.startswith("HTTP/1.1 413")
        assert '"status":413' in head

    def test_a_streamed_oversized_body_is_cut_at_the_limit(self, server):
        """A chunked body is read only up to the limit, then answered 413."""
        port = int(server.url.rsplit(":", 1)[1])
        chunk = b"x" * 2**16
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"POST /evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n")
            sent = 0
            while sent <= LIMIT:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            head = s.recv(65536).decode("utf-8", "replace")
        assert head.startswith("HTTP/1.1 413")

    def test_request_ids_are_echoed_and_no_traceback_reaches_the_client(self, client):
        """The client's X-Request-ID comes back; error bodies carry it and never a traceback."""
        r = client.post("/evaluate", content=b"[", headers={"x-request-id": "abc-123"})
        assert r.headers["x-request-id"] == "abc-123" and r.json()["request_id"] == "abc-123"
        assert "Traceback" not in r.text
        assert client.get("/healthz").headers["x-request-id"]


class TestSpec:
    def test_openapi_describes_every_route_and_the_dataset_from_the_declarations(self, client):
        """/openapi.json is OpenAPI 3 with every endpoint; the dataset schema lists every declared field."""
        from shequ_gov import _schema as S

        spec = client.get("/openapi.json").json()
        assert spec["openapi"].startswith("3.")
        assert set(spec["paths"]) == {"/healthz", "/policies", "/policies/{policy_id}",
                                      "/policies/{policy_id}/parameters/{name}", "/evaluate", "/explain"}
        schemas = spec["components"]["schemas"]
        for record in S.RECORDS:  # every member of every record, in the format's key order
            name = "".join(w.capitalize() for w in record.name.split())
            assert tuple(schemas[name]["properties"]) == record.keys, name
        assert schemas["StaffMember"]["properties"]["monthly_pay"]["x-unit"] == "yuan/month"

    def test_the_docs_page_loads_nothing_from_elsewhere(self, client):
        """GET /docs is a self-contained page: no script, no external URL."""
        r = client.get("/docs")
        assert r.status_code == 200 and "/evaluate" in r.text
        assert "<script" not in r.text and "http://" not in r.text and "https://" not in r.text

    def test_schemathesis_finds_no_server_error_and_no_nonconforming_response(self, server):
        """Generated requests for every operation: no 5xx, every status documented, every body conforms."""
        import schemathesis
        from hypothesis import HealthCheck, Phase, given, settings
        from schemathesis import checks

        schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
        chosen = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
                  checks.response_schema_conformance]
        ran = 0
        for result in schema.get_all_operations():
            op = result.ok()
            heavy = op.method.upper() == "POST"

            @given(case=op.as_strategy())
            @settings(max_examples=8 if heavy else 15, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def run(case):
                case.call_and_validate(base_url=server.url, checks=chosen, timeout=60)

            run()
            ran += 1
        assert ran == 6


class TestConcurrency:
    def test_healthz_answers_while_a_city_is_evaluated(self, broken):
        """/healthz keeps answering quickly while an 8,000-community evaluation runs in the same worker
        (large enough that the evaluation outlasts several pings on a fast machine)."""
        city = sg.synth.generate(8000, seed=3).to_dict()
        body = json.dumps({"dataset": city, "as_of": AS_OF, "mode": "what-if", "findings": "all",
                           "policies": ["jiangsu", "kaizhou", "liaoning", "loudi", "xigang"]}).encode("utf-8")
        done = threading.Event()
        result = {}

        def big():
            result["r"] = broken.post("/evaluate", content=body, headers={"content-type": "application/json"})
            done.set()

        t = threading.Thread(target=big)
        t.start()
        answered, slowest = 0, 0.0
        time.sleep(0.1)  # the body is on its way
        while not done.is_set():
            t0 = time.perf_counter()
            assert broken.get("/healthz").status_code == 200
            slowest = max(slowest, time.perf_counter() - t0)
            if not done.is_set():
                answered += 1
            time.sleep(0.05)
        t.join()
        assert result["r"].status_code == 200 and len(result["r"].json()["metadata"]) > 0
        assert answered >= 3, "the evaluation finished too fast to tell"
        assert slowest < 1.0

    def test_load_of_evaluations_at_concurrency_32_on_two_workers(self, tmp_path, record_property):
        """1,000 single-community evaluations, 32 at a time, two workers: none lost, one log line each.

        Bounded in count and time (it stops by itself); ``make bench`` (service) measures 2,000.
        """
        log = tmp_path / "decisions.jsonl"
        one = sg.synth.generate(1, seed=0).to_dict()
        body = json.dumps({"dataset": one, "as_of": AS_OF, "findings": "none"}, ensure_ascii=False).encode("utf-8")
        n, conc = 1000, 32
        with running(["--workers", "2", "--decision-log", str(log)], log=str(tmp_path / "server.out")) as url:
            stats = load(url, body, n, conc, timeout=110)
        ids = stats["ids"]
        assert len(ids) == n and len(set(ids)) == n  # no request lost, none answered twice
        for key in ("requests_per_s", "p50_ms", "p95_ms"):
            record_property(key, stats[key])
        print(f"\nload: {n} evaluations at concurrency {conc}: {stats['requests_per_s']:.0f} requests/s, "
              f"p50 {stats['p50_ms']:.0f} ms, p95 {stats['p95_ms']:.0f} ms")
        lines = log.read_text(encoding="utf-8").splitlines()
        records = [json.loads(x) for x in lines]  # every line whole: no interleaving between workers
        assert sorted(r["request_id"] for r in records) == sorted(ids)
        rec = records[0]
        ds = sg.Dataset.from_dict(one)
        assert rec["dataset_sha256"] == ds.fingerprint() and rec["kind"] == "evaluate" and rec["as_of"] == AS_OF
        assert set(rec["policies"]) == set(INSTALLED)
        assert all("parameters_sha256" in p and "version" in p for p in rec["policies"].values())
        assert sum(rec["verdicts"].values()) > 0 and rec["duration_ms"] > 0
        assert one["communities"][0]["name"] not in log.read_text(encoding="utf-8")  # never the data

    def test_the_load_generator_checks_every_answer_against_the_report(self, server):
        """``load(…, expect=…)`` passes when every answer is byte for byte ``Report.to_json`` of the same
        evaluation, and stops with an error at the first that is not (the benchmark relies on it)."""
        one = sg.synth.generate(1, seed=4).to_dict()
        body = json.dumps({"dataset": one, "as_of": AS_OF, "mode": "what-if", "policies": INSTALLED}).encode("utf-8")
        report = sg.evaluate(sg.Dataset.from_dict(one), INSTALLED, as_of=AS_OF, mode="what-if")
        stats = load(server.url, body, 12, 4, expect=report.to_json().encode("utf-8"))
        assert sorted(stats["ids"]) == sorted(f"load-{i}" for i in range(12))
        assert stats["client_cpu_ms_per_request"] > 0
        other = sg.evaluate(sg.Dataset.from_dict(one), INSTALLED, as_of="2019-01-01", mode="what-if")
        with pytest.raises(RuntimeError, match="unlike the expected"):
            load(server.url, body, 3, 1, expect=other.to_json().encode("utf-8"))
        with pytest.raises(RuntimeError, match="answered 422"):
            load(server.url, b'{"dataset": {"schema": "nope"}}', 2, 1)


class TestDecisionLog:
    def test_one_line_per_evaluation_and_explanation_never_the_data(self, client, server):
        """Each evaluation and explanation appends one JSON line with fingerprint, policies, counts, duration."""
        before = server.log.read_text(encoding="utf-8").count("\n") if server.log.exists() else 0
        code = EXAMPLE["communities"][0]["code"]
        r1 = client.post("/evaluate", json={"dataset": EXAMPLE, "as_of": AS_OF, "policies": ["loudi"]})
        r2 = client.post("/explain", json={"dataset": EXAMPLE, "as_of": AS_OF, "code": code,
                                           "rule": "loudi.staffing.ratio", "mode": "what-if"})
        client.post("/evaluate", json={"dataset": {"schema": "nope"}})  # refused: no decision, no line
        text = server.log.read_text(encoding="utf-8")
        lines = text.splitlines()[before:]
        assert len(lines) == 2
        ev, ex = (json.loads(x) for x in lines)
        assert ev["request_id"] == r1.headers["x-request-id"] and ex["request_id"] == r2.headers["x-request-id"]
        assert ev["kind"] == "evaluate" and list(ev["policies"]) == ["loudi"] and ev["mode"] == "jurisdiction"
        assert ex["kind"] == "explain" and ex["rule"] == "loudi.staffing.ratio" and ex["mode"] == "what-if"
        report = sg.evaluate(sg.Dataset.from_dict(EXAMPLE), "loudi", as_of=AS_OF)
        counts = report.summary().columns
        assert ev["verdicts"] == {s.value: int(sum(counts[s.value])) for s in sg.Status}
        assert ev["policies"]["loudi"]["parameters_sha256"] == sg.policies.load("loudi").parameter_hash(AS_OF)
        for c in EXAMPLE["communities"][:5]:
            assert c["name"] not in text


class TestCommandLine:
    def test_serve_refuses_an_unknown_policy_before_starting(self, capsys):
        """`shequ-gov serve --policy NAME` with an unknown name exits 2 with a hint, no traceback."""
        from shequ_gov.cli import main

        assert main(["serve", "--policy", "loudy", "--port", "1"]) == 2
        assert "did you mean 'loudi'" in capsys.readouterr().err
