"""Who may see what: read from the scopes of the viewer's hub OAuth token.

The gradebook asks the hub for one custom scope (``custom:northlab:gradebook``) through
its ``oauth_client_allowed_scopes``. The hub intersects it with the viewer's own roles, so
the token carries exactly the filters the hub gave that person:

``custom:northlab:gradebook``                      every cohort (admins)
``custom:northlab:gradebook!group=cohort-<id>``    cohort ``<id>`` only (a cohort lead of
                                                   that cohort, or an instructor of course
                                                   ``<id>``: one course per cohort)

Hub admins (the ``admin`` flag of their user model) see every cohort too. Anyone who may
open the service (``access:services!service=gradebook``) sees their own progress and
nothing of others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

GRADEBOOK_SCOPE = "custom:northlab:gradebook"
COHORT_PREFIX = "cohort-"


@dataclass(frozen=True)
class Viewer:
    """The person looking at a page and the cohorts their token opens."""

    name: str
    sees_all: bool = False
    cohorts: frozenset[str] = frozenset()

    @classmethod
    def from_scopes(cls, name: str, scopes: Iterable[str]) -> Viewer:
        """Build a viewer from the expanded scopes of their token."""
        sees_all = False
        cohorts: set[str] = set()
        for scope in scopes:
            base, _, filter_ = scope.partition("!")
            if base != GRADEBOOK_SCOPE:
                continue
            if not filter_:
                sees_all = True
            kind, _, value = filter_.partition("=")
            if kind == "group" and value.startswith(COHORT_PREFIX):
                cohorts.add(value.removeprefix(COHORT_PREFIX))
        return cls(name=name, sees_all=sees_all, cohorts=frozenset(cohorts))

    @classmethod
    def from_model(cls, model: Mapping[str, Any]) -> Viewer:
        """Build a viewer from a hub user model (``name``, ``scopes``, ``admin``): hub admins
        see every cohort, also those made admin in the admin panel (not in the hub's
        ``admin_users``, so without the ``program-staff`` role)."""
        viewer = cls.from_scopes(model["name"], model.get("scopes") or ())
        return replace(viewer, sees_all=True) if model.get("admin") else viewer

    @property
    def is_staff(self) -> bool:
        """True for admins, cohort leads and instructors."""
        return self.sees_all or bool(self.cohorts)

    def may_see_cohort(self, cohort: str) -> bool:
        return self.sees_all or cohort in self.cohorts

    def visible_cohorts(self, existing: Iterable[str]) -> list[str]:
        """The cohorts of ``existing`` this viewer may open, sorted."""
        return sorted(c for c in existing if self.may_see_cohort(c))
