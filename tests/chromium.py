"""A small DevTools-protocol client for headless Chromium over ``--remote-debugging-pipe`` (tests only).

:func:`load` opens a local file, waits for it to load, and returns what the page did: console
errors and uncaught exceptions, every network request it made, its visible text and a PNG
screenshot. Chromium talks JSON messages, each ended by a NUL byte, on file descriptors 3
(commands in) and 4 (events and replies out); no socket and no websocket library are needed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-pipe"]


def executable() -> str | None:
    """The Chromium binary, or None where it is not installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class PageResult:
    """What a page did while loading: console errors, requests, text, screenshot."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.text = ""
        self.screenshot = b""
        self.values: list[Any] = []


class _Pipe:
    def __init__(self, proc: subprocess.Popen, to_browser: int, from_browser: int):
        self.proc, self.w, self.r = proc, to_browser, from_browser
        self.buf = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def read(self, deadline: float) -> dict[str, Any]:
        import select

        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        i = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read(deadline)
            if msg.get("id") == i:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self.read(deadline))


def load(path: str | os.PathLike[str], *, width: int = 1280, height: int = 2000, settle: float = 0.5,
         fragment: str = "", expressions: tuple[str, ...] = ()) -> PageResult:
    """Open *path* (scrolled to the anchor *fragment*, if given) in a fresh headless Chromium; report what it did.

    Each of *expressions* (JavaScript) is evaluated in the page after it loaded, in order, and its
    value kept in ``values``; console errors and requests they cause are caught like the page's own.
    """
    exe = executable()
    if exe is None:
        raise FileNotFoundError("chromium is not installed")
    url = Path(path).resolve().as_uri()
    profile = tempfile.mkdtemp(prefix="shequ-gov-chromium-")
    to_r, to_w = os.pipe()      # commands: we write to_w, Chromium reads fd 3
    from_r, from_w = os.pipe()  # replies: Chromium writes fd 4, we read from_r

    def child_fds() -> None:  # move both ends out of the way first: either may already be 3 or 4
        import fcntl

        a, b = fcntl.fcntl(to_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_w, fcntl.F_DUPFD, 10)
        os.dup2(a, 3)
        os.dup2(b, 4)

    proc = subprocess.Popen([exe, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                             "about:blank"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, pass_fds=(3, 4), preexec_fn=child_fds)
    os.close(to_r)
    os.close(from_w)
    pipe = _Pipe(proc, to_w, from_r)
    out = PageResult()
    try:
        target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            pipe.call(f"{domain}.enable", session=session)
        pipe.events.clear()
        pipe.call("Page.navigate", {"url": url + (f"#{fragment}" if fragment else "")}, session=session)
        pipe.wait_for("Page.loadEventFired", timeout=60)
        time.sleep(settle)  # let late scripts and requests show up
        out.text = pipe.call("Runtime.evaluate", {"expression": "document.body.innerText", "returnByValue": True},
                             session=session)["result"].get("value", "")
        for js in expressions:
            res = pipe.call("Runtime.evaluate", {"expression": js, "returnByValue": True}, session=session)
            if "exceptionDetails" in res:
                out.errors.append(f"{js}: {res['exceptionDetails'].get('exception', {}).get('description')}")
            out.values.append(res["result"].get("value"))
        if expressions:
            time.sleep(settle)
        shot = pipe.call("Page.captureScreenshot", {"format": "png"}, session=session, timeout=60)
        out.screenshot = base64.b64decode(shot["data"])
        for e in pipe.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.errors.append(d.get("exception", {}).get("description") or d.get("text", "exception"))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.errors.append(p["entry"].get("text", ""))
            elif m == "Network.requestWillBeSent":
                req = p.get("request", {}).get("url", "")
                if req != url and not req.startswith("data:"):
                    out.requests.append(req)
        return out
    finally:
        try:
            pipe.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(to_w)
        os.close(from_r)
        shutil.rmtree(profile, ignore_errors=True)
