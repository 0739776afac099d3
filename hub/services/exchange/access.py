"""Who may do what in which course, from the caller's hub user model (name, admin, groups).

A course ``<id>`` exists when the hub group ``cohort-<id>`` exists (``cohort-leads`` is the
cohort leads' group, not a course). Its learners are that group's members; its
instructors are the members of ``instructors-<id>`` (see :mod:`hub.people.roles`), who release,
collect and return feedback there and nowhere else. The umbrella group ``instructors``
gives no course. Hub admins act as instructors of every course: they already hold
``admin:groups`` and ``tokens``, so they could join any ``instructors-<id>`` anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from northlab.groups import cohort_of_group, courses_taught


@dataclass(frozen=True)
class Person:
    """A hub user as the exchange sees them."""

    name: str
    groups: frozenset[str]
    admin: bool = False

    @classmethod
    def from_model(cls, model: dict) -> Person:
        return cls(
            name=model["name"],
            groups=frozenset(model.get("groups") or ()),
            admin=bool(model.get("admin")),
        )

    def teaches(self, course: str) -> bool:
        """May release, collect and return feedback in ``course``."""
        return self.admin or course in courses_taught(list(self.groups))

    def learner_courses(self) -> list[str]:
        """Courses this person is a learner of."""
        return courses_of_groups(list(self.groups))

    def is_learner(self, course: str) -> bool:
        return course in self.learner_courses()

    def can_read(self, course: str) -> bool:
        """May list and fetch the course's releases."""
        return self.teaches(course) or self.is_learner(course)


def courses_of_groups(group_names: list[str]) -> list[str]:
    """Course ids of the hub's cohort groups."""
    return sorted(c for c in map(cohort_of_group, group_names) if c is not None)
