"""Jiangsu Province (江苏省, code 32): community-governance standards for shequ_gov.

The policy encodes the reply of the Jiangsu Civil Affairs Department (江苏省民政厅) to the China
Association for Promoting Democracy Jiangsu committee's proposal 《关于用“微治理”推动基层社区治理创新的建议》,
dated 2022-06-24 (seed ``001_a47e6269215ad5c9.txt``), and, through it, the provincial party
committee's opinion 《关于规范行政村社区履职事项、切实减轻村级组织负担的意见》: service facility
area per 100 households, the access and negative lists of community tasks, the party secretary
serving as committee director (“一肩挑”), micro-grids, the “三岗十八级” pay scale, the committees
under the residents' committee, the convenience circles and basic operating funds.

Parameters, dates and citations live in ``policy.toml``; the rule functions, grouped by topic,
in the modules below. Interpretation choices are in the plug-in's ``SOURCE_NOTES.md``.

>>> from shequ_gov_jiangsu import policy
>>> policy.id, len(policy.rules)
('jiangsu', 10)
"""

from importlib.resources import files

from shequ_gov import Policy

from . import facilities, funding, governance, leadership, staffing, tasks

policy = Policy.from_toml(files(__name__) / "policy.toml", [facilities, tasks, leadership, governance, staffing,
                                                            funding])

__all__ = ["policy"]
