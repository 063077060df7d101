"""Liaoning Province (辽宁省, code 21): community-governance standards as a shequ_gov policy.

Source: the Liaoning Civil Affairs Department's reply to proposal 1214 of the 13th Provincial
People's Congress, 2nd session (《关于如何去除社区行政化问题的建议》, 2020-11-16), with the
documents it cites: the 2017 implementing opinion of the provincial party committee and
government on urban and rural community governance, and 辽政办发〔2018〕31号 on cancelled
certificates. Its rules: the community work-item access list and what may not be pushed down
onto communities, cancelled certificates, unified assessment, the urban service station's area
(and its share over the province, an indicator), community workers' pay against the city's
average wage, and Shenyang's (2101) caps on ledgers, stamped certificates and inspections.

The data (parameters with their quotes, rule metadata) is in ``policy.toml``; the vectorised
functions are in the topic modules. Use it as ``shequ_gov.evaluate(dataset, "liaoning")``.
"""

from importlib.resources import files

from shequ_gov import Policy

from . import assessment, certificates, facilities, shenyang, staffing, tasks

policy = Policy.from_toml(files(__name__) / "policy.toml",
                          [assessment, certificates, facilities, shenyang, staffing, tasks])

__all__ = ["policy"]
