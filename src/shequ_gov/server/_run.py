"""Start the service in a subprocess on a free loopback port, and load it, for the tests and the benchmarks.

Internal: ``with running(["--workers", "2"]) as url: ...`` runs ``shequ-gov serve`` on
127.0.0.1 and stops it (and its workers) on exit; ``load(url, body, n, concurrency)`` posts one
body *n* times, *concurrency* at a time and checks every answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any, Iterator, Sequence

__all__ = ["free_port", "load", "running"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(args: Sequence[str] = (), *, command: Sequence[str] | None = None, timeout: float = 60.0,
            log: str | None = None, info: dict[str, Any] | None = None) -> Iterator[str]:
    """Run the service until the block ends; yields its base URL (``http://127.0.0.1:PORT``).

    *command* replaces ``python -m shequ_gov.cli serve``; ``{port}`` in it or in *args* is the port.
    The server's output goes to *log* (a file path) or is discarded. The server runs in a session
    of its own (with its workers); *info*, if given, receives its id as ``"session"``.
    """
    port = free_port()
    base = list(command) if command else [sys.executable, "-m", "shequ_gov.cli", "serve", "--port", "{port}"]
    argv = [a.replace("{port}", str(port)) for a in [*base, *args]]
    out = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    if info is not None:
        info["session"] = proc.pid
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the service exited with {proc.returncode} before answering: {' '.join(argv)}")
            try:
                with opener.open(url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the service did not answer on {url} within {timeout:.0f} s")
            time.sleep(0.1)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: the workers it forked too
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


class _Connection:
    """One keep-alive HTTP/1.1 connection of the load generator (raw asyncio streams, no client library)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, data: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
        """Send one whole request (*data*: head and body) and read its answer: status, headers, body."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head[:-4].split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower()] = v.strip()
        if b"content-length" in headers:
            body = await self.reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if not size:
                    break
            body = b"".join(p[:-2] for p in parts)
        else:  # delimited by the end of the connection
            body = await self.reader.read()
            headers[b"connection"] = b"close"
        if headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _load(url: str, path: str, body: bytes, n: int, concurrency: int,
                expect: bytes | None) -> tuple[list[str], list[float], float, float]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    # everything but the request id is built once
    head = (f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nx-request-id: ").encode("latin-1")
    ids: list[str] = []
    latencies: list[float] = []
    todo = iter(range(n))

    async def worker() -> None:
        conn = _Connection(host, port)
        try:
            for i in todo:
                rid = f"load-{i}"
                t0 = time.perf_counter()
                status, headers, answer = await conn.request(b"".join((head, rid.encode(), b"\r\n\r\n", body)))
                latencies.append(time.perf_counter() - t0)
                if status != 200:
                    raise RuntimeError(f"request {i} answered {status}: {answer[:500].decode('utf-8', 'replace')}")
                got = headers.get(b"x-request-id", b"").decode("latin-1")
                if got != rid:
                    raise RuntimeError(f"request {rid} answered with the request id {got!r}")
                if expect is not None and answer != expect:
                    raise RuntimeError(f"request {i} answered {len(answer):,} bytes unlike the expected "
                                       f"{len(expect):,}: {answer[:200].decode('utf-8', 'replace')}")
                ids.append(got)
        finally:
            conn.close()

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ids, latencies, time.perf_counter() - t0, time.process_time() - cpu0


def load(url: str, body: bytes, n: int, concurrency: int, *, path: str = "/evaluate", expect: bytes | None = None,
         timeout: float = 300.0) -> dict[str, Any]:
    """POST *body* to *path* *n* times, *concurrency* at a time; stops by itself after *timeout* seconds.

    A lean client (raw asyncio sockets, keep-alive, request bytes built once) so that on a shared
    machine the load generator takes as little CPU from the server as it can. Every answer must be
    200 and carry its own request's id (``X-Request-ID``); with *expect*, its body must be exactly
    those bytes. Returns the request ids answered, the throughput, the p50 / p95 latencies and the
    client's own CPU time per request.
    """
    ids, lat, elapsed, cpu = asyncio.run(asyncio.wait_for(_load(url, path, body, n, concurrency, expect), timeout))
    lat.sort()
    return {"ids": ids, "requests": n, "concurrency": concurrency, "seconds": round(elapsed, 3),
            "requests_per_s": round(n / elapsed, 1), "p50_ms": round(lat[len(lat) // 2] * 1000, 1),
            "p95_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.95))] * 1000, 1),
            "client_cpu_ms_per_request": round(cpu / n * 1000, 3)}
