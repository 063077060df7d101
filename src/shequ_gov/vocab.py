"""The controlled vocabularies of the interchange format, each key with Chinese and English labels.

>>> from shequ_gov import vocab
>>> vocab.FACILITY_KINDS.term("service_center").zh
'社区服务中心'
"""

from ._vocab import (
    AREA_TYPES, BODIES, FACILITY_KINDS, LEVELS, PLAQUES, RATINGS, ROLES, TASK_KINDS, TASK_ROLES, UNIFIED,
    VOCABULARIES, Term, Vocabulary,
)

__all__ = [
    "AREA_TYPES", "BODIES", "FACILITY_KINDS", "LEVELS", "PLAQUES", "RATINGS", "ROLES", "TASK_KINDS",
    "TASK_ROLES", "UNIFIED", "VOCABULARIES", "Term", "Vocabulary",
]
