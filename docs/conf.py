"""Sphinx configuration for the shequ_gov documentation.

Build (from the repository root)::

    .venv/bin/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

Only extensions that ship with Sphinx are used, and nothing is fetched from the network
(no intersphinx): the docs build offline, the same way every time.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The package is normally installed (editable) in .venv; the source tree is a fallback so that
# the docs also build from a checkout that has not been installed.
_SRC = Path(__file__).resolve().parent.parent / "src"
if _SRC.is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

import shequ_gov  # noqa: E402

# -- Project -----------------------------------------------------------------------------------

project = "shequ_gov"
author = "shequ_gov developers"
copyright = "shequ_gov developers"
release = shequ_gov.__version__
version = ".".join(release.split(".")[:2])
language = "en"

# -- General -----------------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx.ext.doctest",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []
nitpicky = False
# No suppress_warnings: the build runs with -W and is expected to be clean without it.

# -- autodoc / napoleon --------------------------------------------------------------------------

# Show-inheritance is off by leaving it out: Sphinx treats a key that is present as the flag being
# given, whatever its value, so ``"show-inheritance": False`` would turn it on.
autodoc_default_options = {
    "members": True,
}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autoclass_content = "class"

napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# ``python -m sphinx -b doctest docs docs/_build/doctest`` runs every example of these pages and of
# the docstrings; docstring examples use the public names unqualified.
doctest_global_setup = """
import shequ_gov as sg
from shequ_gov import *
"""

# -- HTML ----------------------------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"shequ_gov {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "社区治理 — community-governance standards as cited, dated policies",
    "fixed_sidebar": False,
}
