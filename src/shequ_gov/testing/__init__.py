"""Tools for testing code that uses shequ_gov, and for testing policy plug-ins.

- Hypothesis strategies: :func:`regions`, :func:`communities`, :func:`dataset_documents`,
  :func:`datasets` (they need the ``hypothesis`` package: ``pip install shequ-gov[test]``).
- The conformance kit: :func:`check_policy` and :func:`parametrize_with_checks`, with the named
  checks from :func:`all_checks`; monotonicity inputs are listed in :data:`PERTURBATIONS`.
- A plug-in's whole test suite: ``test_plugin = plugin_tests(policy)`` (the conformance checks
  plus :func:`check_quotes`, :func:`check_catalogue`, :func:`check_entry_point`,
  :func:`check_cases`), beside its case files; :func:`check_every_verdict_reached` on top where the
  plug-in's rules should all vary on sample data.
- Case files (``*.cases.yaml``), collected by pytest through this package's pytest plug-in;
  :func:`load_cases` and :func:`run_case` run them by hand.
- Citations: :func:`unverified_quotes` checks every quote against the source texts, found in the
  directories :func:`source_dirs` lists.
"""

from __future__ import annotations

from ._cases import Case, document, load_cases, run_case
from ._citations import citations, normalise_text, unverified_quotes
from ._checks import (
    PERTURBATIONS, all_checks, check_batch_invariance, check_determinism, check_every_verdict_reached, check_metadata,
    check_missing_input_gives_unknown, check_monotonicity, check_not_applicable_before_start,
    check_order_invariance, check_parameters, check_parameters_read, check_policy, check_unit_invariance,
    parametrize_with_checks,
)
from ._plugin import (
    check_cases, check_catalogue, check_entry_point, check_quotes, edited_policy, plugin_root, plugin_tests,
    source_dirs,
)
from ._fill import (
    check_known_verdicts_hold_for_every_missing_value, check_unknown_only_where_a_missing_category_could_change_it,
)
from ._sample import sample_document
from ._strategies import communities, dataset_documents, datasets, regions

__all__ = [
    "PERTURBATIONS", "Case", "all_checks", "check_batch_invariance", "check_cases", "check_catalogue",
    "check_determinism", "check_entry_point", "check_every_verdict_reached", "check_known_verdicts_hold_for_every_missing_value", "check_metadata",
    "check_missing_input_gives_unknown", "check_monotonicity", "check_not_applicable_before_start",
    "check_order_invariance", "check_parameters", "check_parameters_read", "check_policy", "check_quotes",
    "check_unit_invariance", "check_unknown_only_where_a_missing_category_could_change_it", "citations",
    "communities", "dataset_documents", "datasets", "document", "edited_policy", "load_cases", "normalise_text",
    "parametrize_with_checks", "plugin_root", "plugin_tests", "regions", "run_case", "sample_document", "source_dirs",
    "unverified_quotes",
]
