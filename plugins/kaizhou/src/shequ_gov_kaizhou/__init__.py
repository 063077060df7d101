"""Kaizhou District, Chongqing (重庆市开州区, code 500154): community-governance standards for shequ_gov.

The policy encodes 开州府办发〔2020〕113号, the Kaizhou District Government Office's notice
《关于深入推进“三社联动”加强城乡社区治理的通知》 of 2020-11-16 (seed ``004_26bd8f037f20a1c8.txt``):
comprehensive service facility area per 100 households and the district's phased targets for it
(70 % → 80 % → 100 %), the reduction of community burdens (negative list, funded assistance,
plaques, certificates, unified assessment), councils and the supervision committee, certified
social workers, private social-work agencies and incubation bases for social organisations.

Parameters, dates and citations live in ``policy.toml``; the rule functions, grouped by topic,
in the modules below. Interpretation choices are in the plug-in's ``SOURCE_NOTES.md``.

>>> from shequ_gov_kaizhou import policy
>>> policy.id, len(policy.rules)
('kaizhou', 12)
"""

from importlib.resources import files

from shequ_gov import Policy

from . import burden, facilities, organisations, social_work

policy = Policy.from_toml(files(__name__) / "policy.toml", [facilities, burden, organisations, social_work])

__all__ = ["policy"]
