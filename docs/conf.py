"""Sphinx configuration for the shequ_gov documentation.

Build (from the repository root)::

    .venv/bin/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

Only extensions that ship with Sphinx are used, and nothing is fetched from the network
(no intersphinx): the docs build offline, the same way every time.
"""

from __future__ import annotations

import doctest
import sys
from pathlib import Path

# The package is normally installed (editable) in .venv; the source tree is a fallback so that
# the docs also build from a checkout that has not been installed.
_SRC = Path(__file__).resolve().parent.parent / "src"
if _SRC.is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

import shequ_gov  # noqa: E402
import shequ_gov.catalogue  # noqa: E402
import shequ_gov.policies  # noqa: E402

_DOCS = Path(__file__).resolve().parent

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

# examples/ holds the example policy and case file the pages include and load, not pages.
exclude_patterns = ["_build", "_generated", "Thumbs.db", ".DS_Store", "examples"]
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
# the docstrings; docstring examples use the public names unqualified (those of shequ_gov.rules,
# and numpy as np, too). ``EXAMPLES`` is docs/examples, where the example policy of the pages
# lives. Whitespace is normalised because report tables pad their cells with trailing blanks,
# which the pages cannot keep.
doctest_global_setup = f"""
import numpy as np
import shequ_gov as sg
from shequ_gov import *
from shequ_gov.rules import *
from pathlib import Path
EXAMPLES = Path({str(_DOCS / "examples")!r})
"""
doctest_default_flags = (doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL | doctest.DONT_ACCEPT_TRUE_FOR_1
                         | doctest.NORMALIZE_WHITESPACE)

# -- The policy catalogue -------------------------------------------------------------------------

# One page per installed policy (and an index), generated at every build from the policies' own
# metadata by shequ_gov.catalogue, so that the catalogue cannot drift from the code. The pages are
# written into docs/catalogue/, which is not committed (docs/.gitignore). write_rst_pages leaves a
# page untouched when its text has not changed, so Sphinx does not rebuild it needlessly; pages of
# policies that are no longer installed are removed.
_CATALOGUE = _DOCS / "catalogue"
_catalogue_pages = shequ_gov.catalogue.write_rst_pages(
    _CATALOGUE, [shequ_gov.policies.load(n) for n in shequ_gov.policies.available()])
for _stale in set(_CATALOGUE.glob("*.rst")) - set(_catalogue_pages):
    _stale.unlink()

# -- The field table ------------------------------------------------------------------------------

# The table of every field of the interchange format, generated from the record declarations
# (shequ_gov._schema) into docs/_generated/ (not committed), rewritten only when it changes.
from shequ_gov import _schema  # noqa: E402

_GENERATED = _DOCS / "_generated"
_GENERATED.mkdir(exist_ok=True)
_fields = _GENERATED / "fields.rst"
if not _fields.exists() or _fields.read_text(encoding="utf-8") != _schema.fields_rst():
    _fields.write_text(_schema.fields_rst(), encoding="utf-8")

# -- The service's OpenAPI description -------------------------------------------------------------

# Rendered at every build from shequ_gov.server.openapi() (no web framework needed), into
# docs/_generated/ as well, which service.rst includes and offers for download.
import json  # noqa: E402

from shequ_gov.server import _docs as _service_docs, openapi as _openapi  # noqa: E402

_spec = _openapi()
for _name, _text in (("openapi.json", json.dumps(_spec, ensure_ascii=False, indent=1) + "\n"),
                     ("openapi.rst", _service_docs.rst_reference(_spec))):
    _path = _GENERATED / _name
    if not _path.exists() or _path.read_text(encoding="utf-8") != _text:  # unchanged: no needless rebuild
        _path.write_text(_text, encoding="utf-8")

# -- HTML ----------------------------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"shequ_gov {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "社区治理 — community-governance standards as cited, dated policies",
    "fixed_sidebar": False,
}
