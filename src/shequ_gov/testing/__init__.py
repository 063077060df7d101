"""Tools for testing code that uses shequ_gov, and for testing policy plug-ins.

Hypothesis strategies (``regions()``, ``communities()``, ``datasets()``) make valid data of any
shape; they need the ``hypothesis`` package (``pip install shequ-gov[test]``).
"""

from __future__ import annotations

from ._strategies import communities, dataset_documents, datasets, regions

__all__ = ["communities", "dataset_documents", "datasets", "regions"]
