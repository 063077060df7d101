"""Optional dependencies: imported when first needed, with an error naming the extra that installs them."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["require"]


def require(module: str, extra: str) -> Any:
    """Import *module*, or raise an ImportError naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"this needs {module}: pip install 'shequ-gov[{extra}]'") from None
