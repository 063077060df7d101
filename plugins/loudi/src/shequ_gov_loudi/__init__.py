"""The Loudi City (Hunan, 湖南省娄底市, code 4313) community standards as a shequ_gov policy.

Source: 婁民復字〔2018〕10號, the reply of the Loudi Civil Affairs Bureau (娄底市民政局) to
proposal 10 of the 2nd session of the 5th Municipal People's Congress, dated 2018-07-05
(``002_e07c8f6c35eb1ddd.txt``, in traditional characters), and the document it cites,
《关于进一步加强社区党建和社区建设的实施意见》(婁發[2015]12號). The policy covers the grid size,
the public service housing and service centre areas, the function rooms, the 五统一, the plaques
hung outside, staffing numbers and dismissals, operating and benefit-project funds, the base pay
of committee members and the 三位一体 structure.

The parameters, citations and rule metadata live in ``policy.toml``; the vectorised formulas in
the topic modules (one per rule id topic). Use it with ``shequ_gov.evaluate(dataset, "loudi")``.
"""

from importlib.resources import files

from shequ_gov import Policy

from . import facilities, funding, governance, grid, pay, plaques, staffing

policy = Policy.from_toml(files(__name__) / "policy.toml",
                          [grid, facilities, plaques, staffing, funding, pay, governance])

__all__ = ["policy"]
