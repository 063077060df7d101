"""shequ_gov (社区治理): Chinese community-governance standards as cited, dated, pluggable policies.

The public API is what this module exports (``__all__``); modules and names starting with ``_``
are internal. See the documentation for the concepts and the interchange format.
"""

from __future__ import annotations

from . import policies, rules, synth, vocab
from ._codes import code_level, normalize_code, parent_code
from ._dataset import Dataset
from ._engine import evaluate
from ._errors import PluginWarning, PolicyError, RuleErrorWarning, ValidationError
from ._explain import Explanation
from ._memory import reuse_freed_memory
from ._policy import ByCategory, Citation, Parameter, ParameterValue, Policy, Reform, Rule, Source, formula
from ._report import Finding, Report, RuleVerdicts, Table
from ._scenario import Comparison, compare, sweep
from ._template import template
from ._model import Assessment, AssessmentWeights, Burden, Community, Facility, Funding, Region, StaffMember, Task
from ._vocab import AreaType, Level, Status

__all__ = [
    "AreaType", "Assessment", "AssessmentWeights", "Burden", "ByCategory", "Citation", "Community", "Comparison",
    "Dataset", "Explanation", "Facility", "Finding", "Funding", "Level", "Parameter", "ParameterValue",
    "PluginWarning", "Policy", "PolicyError", "Quantity", "Reform", "Region", "Report", "Rule", "RuleErrorWarning",
    "RuleVerdicts", "Source", "StaffMember", "Status", "Table", "Task", "ValidationError", "__version__",
    "code_level", "compare", "evaluate", "formula", "normalize_code", "parent_code", "policies", "reuse_freed_memory", "rules", "sweep",
    "synth", "template", "ureg", "vocab",
]


def __getattr__(name: str) -> object:
    if name in ("ureg", "Quantity"):  # the unit registry is built when first asked for (pint costs 0.5 s)
        from . import _units

        return getattr(_units, name)
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("shequ-gov")
        except PackageNotFoundError:  # running from a source tree that is not installed
            from ._version import VERSION

            v = VERSION
        globals()["__version__"] = v  # looked up once: every report's metadata names it
        return v
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"Quantity", "ureg", "__version__"})
