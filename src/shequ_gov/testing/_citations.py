"""Checking a policy's citations against the text of its source documents."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, Sequence

from .._policy import Citation, Policy, Source

__all__ = ["citations", "normalise_text", "unverified_quotes"]

# Pinyin glosses in parentheses, as in a text copied from a page that annotates rare characters.
_GLOSS = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")


def normalise_text(text: str) -> str:
    """*text* without pinyin glosses and without any white space (the form quotes are compared in)."""
    return re.sub(r"\s+", "", _GLOSS.sub("", text))


def citations(policy: Policy) -> Iterator[tuple[str, Citation]]:
    """Every citation of *policy* with a label: each rule's, and each dated parameter value's."""
    for rule in policy.rules:
        yield f"rule {rule.id}", rule.citation
    for name, par in policy.parameters.items():
        for v in par.values:
            yield f"parameter {name} from {v.start}", v.citation


def _file_of(policy: Policy, source: Source) -> str | None:
    """The text file of *source*, or of the document that quotes it (``cited_in``)."""
    seen = set()
    while source.file is None and source.cited_in is not None and source.id not in seen:
        seen.add(source.id)
        source = policy.sources[source.cited_in]
    return source.file


def unverified_quotes(policy: Policy, directory: str | Path | Sequence[str | Path]) -> list[str]:
    """Citations of *policy* whose quote is not found verbatim in its source's text file.

    Each source names its file (``file = "…txt"`` in policy.toml, or through ``cited_in`` the file
    of the document quoting it), looked up in *directory* (or in each of a list of directories,
    first match wins; :func:`~shequ_gov.testing.source_dirs` gives a plug-in's). Quotes and texts
    are compared without pinyin glosses and white space. Returns one message per problem (empty
    when every quote is found).
    """
    dirs = [Path(directory)] if isinstance(directory, (str, Path)) else [Path(d) for d in directory]
    texts: dict[str, str] = {}
    problems = []
    for label, cit in citations(policy):
        name = _file_of(policy, cit.source)
        if name is None:
            problems.append(f"{label}: source {cit.source.id!r} names no text file")
            continue
        if name not in texts:
            path = next((d / name for d in dirs if (d / name).is_file()), None)
            if path is None:
                problems.append(f"{label}: the text {name!r} of source {cit.source.id!r} is in none of "
                                + (", ".join(str(d) for d in dirs) or "(no directory given)"))
                continue
            texts[name] = normalise_text(path.read_text(encoding="utf-8"))
        if normalise_text(cit.quote) not in texts[name]:
            problems.append(f"{label}: “{cit.quote}” is not in {name}")
    return problems
