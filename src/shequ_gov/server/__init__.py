"""The HTTP service (``shequ-gov serve``): policies, evaluation and explanations over a JSON web API.

Needs the ``server`` extra (``pip install 'shequ-gov[server]'``: Starlette and uvicorn).
:func:`create_app` builds the ASGI application, to run with uvicorn or mount in an existing ASGI
stack; :func:`openapi` is its OpenAPI 3 description (no web framework needed); :func:`serve` runs
it, as the command line does.
"""

from __future__ import annotations

import json
import os
from typing import Any, Sequence

from ._openapi import openapi

__all__ = ["create_app", "openapi", "serve"]

_EXTRA = "the HTTP service needs the 'server' extra: pip install 'shequ-gov[server]'"


def create_app(policies: Any = None, *, max_body_bytes: int = 64 * 2**20,
               decision_log: str | os.PathLike[str] | None = None) -> Any:
    """The ASGI application of the service.

    Parameters
    ----------
    policies:
        The policies served: ``None`` (every installed one), a policy id or
        :class:`~shequ_gov.Policy`, or a list of them.
    max_body_bytes:
        The largest request body accepted (64 MiB by default); a larger one is answered 413
        before it is read whole.
    decision_log:
        A file to which one JSON line is appended per evaluation or explanation: time, request id,
        dataset fingerprint, policies with versions and parameter hashes, ``as_of``, mode, verdict
        counts by status, duration — never the dataset's content. Safe with several workers.
    """
    try:
        from ._app import create_app as make
    except ImportError as exc:
        raise ImportError(f"{_EXTRA} ({exc})") from exc
    return make(policies, max_body_bytes=max_body_bytes, decision_log=decision_log)


def serve(*, host: str = "127.0.0.1", port: int = 8000, policies: Sequence[str] | None = None, workers: int = 1,
          max_body_bytes: int = 64 * 2**20, decision_log: str | None = None, log_level: str = "info") -> None:
    """Run the service with uvicorn until interrupted (loopback only unless *host* says otherwise)."""
    try:
        import uvicorn
    except ImportError as exc:
        raise ImportError(f"{_EXTRA} ({exc})") from exc
    from ._app import CONFIG_ENV, _Service

    # fail here, once, on an unknown policy or an unwritable log, rather than in every worker
    checked = _Service(list(policies) if policies else None, max_body_bytes, decision_log)
    if checked.log is not None:
        checked.log.close()
    os.environ[CONFIG_ENV] = json.dumps({"policies": list(policies) if policies else None,
                                         "max_body_bytes": max_body_bytes,
                                         "decision_log": os.path.abspath(decision_log) if decision_log else None})
    extra: dict[str, Any] = {}
    import inspect

    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        # a worker busy with a large evaluation on a loaded machine must not be taken for dead (default 5 s)
        extra["timeout_worker_healthcheck"] = 60
    uvicorn.run("shequ_gov.server._app:_app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, access_log=False, server_header=False, **extra)
