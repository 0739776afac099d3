"""Failures of the grader itself inside the judge: never scored as the learner's."""

from __future__ import annotations

from graders.remote.proxy import RemoteError


class GraderFault(Exception):
    """The judge could not load what a test needs; the submission gets an error record."""


def is_grader_fault(exc: BaseException) -> bool:
    """An ImportError raised by the judge itself (a missing engine or lab-library module),
    not one re-created from the learner's code."""
    return isinstance(exc, ImportError) and not isinstance(exc, RemoteError)
