"""Start the service in a subprocess on a free loopback port, and load it, for the tests and the benchmarks.

Internal: ``with running(["--workers", "2"]) as url: ...`` runs ``shequ-gov serve`` on
127.0.0.1 and stops it (and its workers) on exit; ``load(url, body, n, concurrency)`` posts one
body *n* times, *concurrency* at a time (needs httpx, of the ``test`` extra).
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
            log: str | None = None) -> Iterator[str]:
    """Run the service until the block ends; yields its base URL (``http://127.0.0.1:PORT``).

    *command* replaces ``python -m shequ_gov.cli serve``; ``{port}`` in it or in *args* is the port.
    The server's output goes to *log* (a file path) or is discarded.
    """
    port = free_port()
    base = list(command) if command else [sys.executable, "-m", "shequ_gov.cli", "serve", "--port", "{port}"]
    argv = [a.replace("{port}", str(port)) for a in [*base, *args]]
    out = open(log, "ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
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


async def _load(url: str, path: str, body: bytes, n: int, concurrency: int) -> tuple[list[str], list[float], float]:
    import httpx

    ids: list[str] = []
    latencies: list[float] = []
    todo = iter(range(n))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, trust_env=False, timeout=120, limits=limits) as client:
        async def worker() -> None:
            for i in todo:
                t0 = time.perf_counter()
                r = await client.post(path, content=body,
                                      headers={"content-type": "application/json", "x-request-id": f"load-{i}"})
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    raise RuntimeError(f"request {i} answered {r.status_code}: {r.text[:500]}")
                ids.append(r.headers["x-request-id"])

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return ids, latencies, time.perf_counter() - t0


def load(url: str, body: bytes, n: int, concurrency: int, *, path: str = "/evaluate",
         timeout: float = 300.0) -> dict[str, Any]:
    """POST *body* to *path* *n* times, *concurrency* at a time; stops by itself after *timeout* seconds.

    Returns the request ids answered (each request sends its own), and the throughput and the
    p50 / p95 latencies.
    """
    ids, lat, elapsed = asyncio.run(asyncio.wait_for(_load(url, path, body, n, concurrency), timeout))
    lat.sort()
    return {"ids": ids, "requests": n, "concurrency": concurrency, "seconds": round(elapsed, 3),
            "requests_per_s": round(n / elapsed, 1), "p50_ms": round(lat[len(lat) // 2] * 1000, 1),
            "p95_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.95))] * 1000, 1)}
