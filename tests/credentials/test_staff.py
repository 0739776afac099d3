"""Who is staff for a learner's credentials (the rule; the HTTP side is in test_hub.py)."""

from __future__ import annotations

from hub.services.credentials.staff import is_staff, may_act_for

PROF = {"name": "prof", "groups": ["instructors", "instructors-north", "cohort-east"]}


def test_instructors_act_for_learners_of_the_courses_they_teach() -> None:
    assert is_staff(PROF) and may_act_for(PROF, {"north"})
    assert may_act_for(PROF, {"south", "north"})  # a learner in two cohorts
    assert not may_act_for(PROF, {"south"}) and not may_act_for(PROF, set())
    assert not may_act_for(PROF, {"east"})  # learning in a cohort teaches nothing there


def test_umbrella_group_and_leads_are_not_staff_admins_are() -> None:
    umbrella = {"name": "uma", "groups": ["instructors", "cohort-leads", "leads-north"]}
    assert not is_staff(umbrella) and not may_act_for(umbrella, {"north"})
    admin = {"name": "ada", "admin": True, "groups": []}
    assert is_staff(admin) and may_act_for(admin, set())


def test_a_hub_that_does_not_answer_is_reported_not_crashed() -> None:
    import asyncio
    import socket

    import pytest

    from hub.services.credentials.staff import HubUnreachable, cohorts_of

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(HubUnreachable):
        asyncio.run(cohorts_of(f"http://127.0.0.1:{port}/hub/api", "token", "nina"))
