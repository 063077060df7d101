"""The policy registry: installed plug-ins (entry-point group ``shequ_gov.policies``) and run-time ones.

A plug-in distribution declares, in its ``pyproject.toml``::

    [project.entry-points."shequ_gov.policies"]
    loudi = "shequ_gov_loudi:policy"

where ``policy`` is a :class:`~shequ_gov.Policy` (or a function returning one). Plug-ins are loaded
lazily, on first use; a plug-in that fails to load (whatever it raises at import, ``sys.exit``
included; only ``KeyboardInterrupt`` goes through) is skipped with a
:class:`~shequ_gov.PluginWarning` naming it, never crashing the host. When several plug-ins claim
one policy id, all of them are skipped with a warning naming each: which one would win must not
depend on installation order. Set
``SHEQU_GOV_DISABLE_PLUGIN_AUTOLOAD=1`` to load no installed plug-in (only registered ones).
"""

from __future__ import annotations

import os
import warnings
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import attrs

from ._errors import PluginWarning, PolicyError
from ._policy import Policy

__all__ = ["GROUP", "available", "clear", "covering", "info", "load", "register", "unregister"]

GROUP = "shequ_gov.policies"
DISABLE_ENV = "SHEQU_GOV_DISABLE_PLUGIN_AUTOLOAD"

_registered: dict[str, Policy] = {}
_installed: dict[str, Policy] | None = None
_skipped: dict[str, str] = {}


def _discover() -> dict[str, Policy]:
    global _installed
    if _installed is not None:
        return _installed
    found: dict[str, Policy] = {}
    if os.environ.get(DISABLE_ENV, "").strip() not in ("", "0"):
        _installed = found
        return found
    claims: dict[str, list[tuple[EntryPoint, Policy, str | None, str | None]]] = {}
    for ep in sorted(entry_points(group=GROUP), key=lambda e: (e.name, e.value)):
        dist = ep.dist.name if ep.dist is not None else None
        version = ep.dist.version if ep.dist is not None else None
        try:
            pol = _load_entry(ep)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # a broken plug-in (even one calling sys.exit) must not end the host
            _skipped[ep.name] = f"{type(exc).__name__}: {exc}"
            warnings.warn(PluginWarning(f"policy plug-in {ep.name!r} ({ep.value}, distribution {dist}) "
                                        f"failed to load and was skipped: {type(exc).__name__}: {exc}"), stacklevel=3)
            continue
        if pol.id != ep.name:
            _skipped[ep.name] = f"entry point name {ep.name!r} differs from the policy id {pol.id!r}"
            warnings.warn(PluginWarning(f"policy plug-in {ep.name!r} ({dist}) provides a policy with id "
                                        f"{pol.id!r}; the entry-point name must be the policy id; skipped"),
                          stacklevel=3)
            continue
        same = claims.setdefault(pol.id, [])
        if not any(e.value == ep.value and d == dist for e, _, d, _ in same):  # one plug-in seen twice is one
            same.append((ep, pol, dist, version))
    for pid, claimants in claims.items():
        if len(claimants) > 1:
            # which one would win must not depend on installation or path order: neither does
            who = ", ".join(f"{ep.value} ({dist})" for ep, _, dist, _ in claimants)
            _skipped[pid] = f"claimed by {len(claimants)} plug-ins: {who}"
            warnings.warn(PluginWarning(f"policy id {pid!r} is claimed by {len(claimants)} plug-ins ({who}); "
                                        f"all of them were skipped: uninstall all but one"), stacklevel=3)
            continue
        ep, pol, dist, version = claimants[0]
        found[pid] = attrs.evolve(pol, version=version or pol.version, distribution=dist)
    _installed = found
    return found


def _load_entry(ep: EntryPoint) -> Policy:
    obj = ep.load()
    if callable(obj) and not isinstance(obj, Policy):
        obj = obj()
    if not isinstance(obj, Policy):
        raise PolicyError([(ep.value, f"expected a shequ_gov.Policy, got {type(obj).__name__}")])
    return obj


def available() -> list[str]:
    """Ids of every policy that can be loaded (installed and registered), sorted."""
    return sorted(set(_discover()) | set(_registered))


def load(name: str) -> Policy:
    """The policy with id *name* (a run-time registration wins over an installed plug-in)."""
    if name in _registered:
        return _registered[name]
    found = _discover()
    if name in found:
        return found[name]
    import difflib

    hint = difflib.get_close_matches(name, available(), n=1)
    why = f" (its plug-in was skipped: {_skipped[name]})" if name in _skipped else ""
    raise KeyError(f"no policy {name!r}{why}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                   + f" (available: {', '.join(available()) or 'none'})")


def register(policy: Policy, *, replace: bool = False) -> Policy:
    """Make *policy* available by its id at run time (notebooks, tests).

    Raises ``ValueError`` if the id is taken by another registered policy, unless *replace*.
    """
    if not isinstance(policy, Policy):
        raise TypeError(f"expected a shequ_gov.Policy, got {type(policy).__name__}")
    if policy.id in _registered and _registered[policy.id] is not policy and not replace:
        raise ValueError(f"a policy {policy.id!r} is already registered; pass replace=True to replace it")
    _registered[policy.id] = policy
    return policy


def unregister(name: str) -> None:
    """Forget a run-time registration (installed plug-ins stay)."""
    _registered.pop(name, None)


def clear() -> None:
    """Forget run-time registrations and rediscover installed plug-ins on next use."""
    global _installed
    _registered.clear()
    _installed = None
    _skipped.clear()


def covering(code: Any) -> list[str]:
    """Ids of the available policies whose jurisdiction contains the unit *code* (short codes accepted).

    >>> covering("210203001001")  # doctest: +SKIP
    ['liaoning', 'xigang']
    """
    from ._codes import code_level, contains, normalize_code

    c = normalize_code(code)
    out = []
    for name in available():
        p = load(name)
        # a unit is covered when it lies inside a jurisdiction (a province is not covered by a city policy)
        if any(contains(j, c) and code_level(c).depth >= code_level(j).depth for j in p.jurisdiction):
            out.append(name)
    return out


def info() -> list[dict[str, Any]]:
    """One row per available policy: id, names, version, distribution, jurisdiction, number of rules."""
    rows = []
    for name in available():
        p = load(name)
        rows.append({"id": p.id, "name_zh": p.name_zh, "name_en": p.name_en, "version": p.version,
                     "distribution": p.distribution or "(registered at run time)",
                     "jurisdiction": ",".join(p.jurisdiction), "rules": len(p.rules)})
    return rows
