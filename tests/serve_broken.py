"""A service that also serves a policy with a broken rule (tests/test_server.py starts it: ``python serve_broken.py PORT``).

The toy policy of tests/data with ``toy.area`` replaced by a function that raises: its verdicts
must come back as ERROR, never as a 500.
"""

import sys
from pathlib import Path

import attrs
import uvicorn

import shequ_gov as sg
from shequ_gov.server import create_app

sys.path.insert(0, str(Path(__file__).parent))
import toy_rules  # noqa: E402


def boom(c, p):
    """broken."""
    raise RuntimeError("no database")


toy = sg.Policy.from_toml(Path(__file__).parent / "data" / "toy_policy.toml", [toy_rules])
broken = toy.with_rules([attrs.evolve(r, function=boom) if r.id == "toy.area" else r for r in toy.rules])

if __name__ == "__main__":
    installed = [n for n in sg.policies.available() if sg.policies.load(n).distribution]
    uvicorn.run(create_app([broken, *installed]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
