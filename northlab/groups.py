"""The hub groups every part agrees on: who learns in, leads or teaches which cohort.

The hub's groups are the one record of people's places (:mod:`hub.people.roles` makes them and
binds their roles); the services read a person's groups from the hub and tell with these
names what that person may see. Part of the core: it imports nothing else of ours.

- ``cohort-<id>``: the learners of cohort ``<id>`` (nbgrader course ``<id>``).
- ``leads-<id>``: its leads; ``instructors-<id>``: the instructors of course ``<id>``.
- ``cohort-leads`` and ``instructors``: everyone leading any cohort / teaching any course.
"""

from __future__ import annotations

INSTRUCTORS = "instructors"
COHORT_LEADS = "cohort-leads"
COHORT_PREFIX = "cohort-"
LEADS_PREFIX = "leads-"
INSTRUCTORS_PREFIX = "instructors-"


def cohort_group(cohort: str) -> str:
    """Learners of ``cohort``."""
    return COHORT_PREFIX + cohort


def leads_group(cohort: str) -> str:
    """Leads of ``cohort``."""
    return LEADS_PREFIX + cohort


def instructors_group(course: str) -> str:
    """Instructors of course ``course``."""
    return INSTRUCTORS_PREFIX + course


def cohort_of_group(group: str) -> str | None:
    """The cohort id of a learners' group ``cohort-<id>``, else None (``cohort-leads``)."""
    if group.startswith(COHORT_PREFIX) and group != COHORT_LEADS:
        return group.removeprefix(COHORT_PREFIX)
    return None


def courses_taught(groups: list[str]) -> list[str]:
    """Course ids of the ``instructors-<id>`` groups among ``groups``, sorted."""
    return sorted(g.removeprefix(INSTRUCTORS_PREFIX) for g in groups
                  if g.startswith(INSTRUCTORS_PREFIX))


def teaches_only(groups: set[str]) -> bool:
    """An instructor who learns in no cohort: their server needs no track chooser."""
    return INSTRUCTORS in groups and not any(map(cohort_of_group, groups))
