"""Who may do what in which course, from hub groups.

A course ``<id>`` exists when the hub group ``cohort-<id>`` exists. Its learners are that
group's members; members of ``instructors`` teach every course.
"""

from __future__ import annotations

from dataclasses import dataclass

COHORT_PREFIX = "cohort-"
INSTRUCTORS_GROUP = "instructors"


@dataclass(frozen=True)
class Person:
    """A hub user as the exchange sees them."""

    name: str
    groups: frozenset[str]

    @classmethod
    def from_model(cls, model: dict) -> Person:
        return cls(name=model["name"], groups=frozenset(model.get("groups") or ()))

    @property
    def is_instructor(self) -> bool:
        return INSTRUCTORS_GROUP in self.groups

    def learner_courses(self) -> list[str]:
        """Courses this person is a learner of."""
        return sorted(
            g.removeprefix(COHORT_PREFIX) for g in self.groups if g.startswith(COHORT_PREFIX)
        )

    def is_learner(self, course: str) -> bool:
        return f"{COHORT_PREFIX}{course}" in self.groups

    def can_read(self, course: str) -> bool:
        """May list and fetch the course's releases."""
        return self.is_instructor or self.is_learner(course)


def courses_of_groups(group_names: list[str]) -> list[str]:
    """Course ids of the hub's cohort groups."""
    return sorted(g.removeprefix(COHORT_PREFIX) for g in group_names if g.startswith(COHORT_PREFIX))
