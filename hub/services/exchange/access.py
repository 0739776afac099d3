"""Who may do what in which course, from hub groups.

A course ``<id>`` exists when the hub group ``cohort-<id>`` exists (``cohort-leads`` is the
cohort leads' group, not a course). Its learners are that group's members; members of
``instructors`` teach every course.
"""

from __future__ import annotations

from dataclasses import dataclass

COHORT_PREFIX = "cohort-"
INSTRUCTORS_GROUP = "instructors"
#: Groups named like cohorts that are not courses (cohort leads' own group).
NOT_COURSES = frozenset({"cohort-leads"})


def course_of_group(group: str) -> str | None:
    """The course id of a cohort group, or None for any other group."""
    if group.startswith(COHORT_PREFIX) and group not in NOT_COURSES:
        return group.removeprefix(COHORT_PREFIX)
    return None


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
        return courses_of_groups(list(self.groups))

    def is_learner(self, course: str) -> bool:
        return course in self.learner_courses()

    def can_read(self, course: str) -> bool:
        """May list and fetch the course's releases."""
        return self.is_instructor or self.is_learner(course)


def courses_of_groups(group_names: list[str]) -> list[str]:
    """Course ids of the hub's cohort groups."""
    return sorted(c for c in map(course_of_group, group_names) if c is not None)
