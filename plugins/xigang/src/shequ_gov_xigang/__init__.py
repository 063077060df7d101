"""Xigang District, Dalian (大连市西岗区, code 210203): community-governance standards as a shequ_gov policy.

Source: 西民发〔2021〕62号, the Xigang District Civil Affairs Bureau's reply to proposal 25 of the
district CPPCC's 9th committee, 4th session (2021-06-10). Its rules: the district's community
work access list (cut to 32 categories / 66 items) and its size, funding and a legal basis
following every task handed down (费随事转、权跟责走), the residents' group leader subsidy
(60 yuan a month), residents' weight and an appeal period in the assessment scheme, and the
administrative share of community work as an indicator.

Xigang lies inside Liaoning: its communities are also judged by the ``liaoning`` policy;
evaluate both with ``shequ_gov.evaluate(dataset, ["liaoning", "xigang"])``.
"""

from importlib.resources import files

from shequ_gov import Policy

from . import assessment, burden, subsidy, tasks

policy = Policy.from_toml(files(__name__) / "policy.toml", [assessment, burden, subsidy, tasks])

__all__ = ["policy"]
