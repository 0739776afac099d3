"""hub/people/roles.py: the roles and groups the hub loads at start (no hub needed)."""

from __future__ import annotations

from hub.people.roles import GRADEBOOK, groups, roles
from northlab.groups import COHORT_LEADS, INSTRUCTORS, cohort_of_group, courses_taught

#: Scopes that reach other people's data or servers: never unfiltered except for admins.
PER_LEARNER = ("list:users", "read:users", "servers", "access:servers", "read:servers",
               "read:groups", "list:groups", GRADEBOOK)
COHORTS = {"north": {}, "south": {"leads": ["ana", "bo"]}}


def by_name() -> dict[str, dict]:
    return {role["name"]: role for role in roles(COHORTS, admins=("root-admin",))}


def test_each_cohort_has_a_lead_and_an_instructor_role_bound_to_its_groups():
    named = by_name()
    for cohort in COHORTS:
        lead, teacher = named[f"cohort-lead-{cohort}"], named[f"course-instructor-{cohort}"]
        assert lead["groups"] == [f"leads-{cohort}"] and "users" not in lead
        assert teacher["groups"] == [f"instructors-{cohort}"] and "users" not in teacher
        for role in (lead, teacher):
            filtered = [s for s in role["scopes"] if "!" in s]
            assert filtered and all(s.endswith(f"!group=cohort-{cohort}") for s in filtered)
            assert f"{GRADEBOOK}!group=cohort-{cohort}" in role["scopes"]
        assert f"access:servers!group=cohort-{cohort}" in teacher["scopes"]
        assert f"servers!group=cohort-{cohort}" in teacher["scopes"]
        assert not [s for s in lead["scopes"] if s.split("!")[0] in ("servers", "access:servers")]


def test_only_admins_and_services_hold_unfiltered_per_learner_scopes():
    named = by_name()
    assert named["program-staff"] == {
        "name": "program-staff", "description": named["program-staff"]["description"],
        "users": ["root-admin"], "scopes": [GRADEBOOK]}
    assert named["instructor"]["groups"] == [INSTRUCTORS]
    for name, role in named.items():
        if name in ("program-staff", "northlab-cli"):
            continue
        unfiltered = [s for s in role["scopes"] if s in PER_LEARNER]
        assert not unfiltered, (name, unfiltered)


def test_groups_keep_leads_of_older_registries():
    loaded = groups(COHORTS)
    assert loaded["leads-south"] == {"users": ["ana", "bo"]}
    assert loaded["leads-north"] == {"users": []}
    assert loaded[COHORT_LEADS] == {"users": ["ana", "bo"]}
    for cohort in COHORTS:
        assert {f"cohort-{cohort}", f"instructors-{cohort}"} <= set(loaded)
    assert loaded[INSTRUCTORS] == {"users": []}


def test_group_names():
    assert cohort_of_group("cohort-north") == "north"
    assert cohort_of_group(COHORT_LEADS) is None and cohort_of_group("leads-north") is None
    assert courses_taught(["instructors", "instructors-south", "cohort-north",
                           "instructors-north"]) == ["north", "south"]
