"""shequ_gov (社区治理): Chinese community-governance standards as cited, dated, pluggable policies.

The public API is what this module exports (``__all__``); modules and names starting with ``_``
are internal. See the documentation for the concepts and the interchange format.
"""

from __future__ import annotations

from . import vocab
from ._codes import code_level, normalize_code, parent_code
from ._dataset import Dataset
from ._errors import PolicyError, ValidationError
from ._model import Assessment, AssessmentWeights, Burden, Community, Facility, Funding, Region, StaffMember, Task
from ._units import Quantity, ureg
from ._vocab import AreaType, Level, Status

__all__ = [
    "AreaType",
    "Assessment",
    "AssessmentWeights",
    "Burden",
    "Community",
    "Dataset",
    "Facility",
    "Funding",
    "Level",
    "PolicyError",
    "Quantity",
    "Region",
    "StaffMember",
    "Status",
    "Task",
    "ValidationError",
    "__version__",
    "code_level",
    "normalize_code",
    "parent_code",
    "ureg",
    "vocab",
]


def __getattr__(name: str) -> object:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("shequ-gov")
        except PackageNotFoundError:  # running from a source tree that is not installed
            from ._version import VERSION

            return VERSION
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
