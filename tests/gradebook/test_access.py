from hub.services.gradebook.access import GRADEBOOK_SCOPE, Viewer


def test_unfiltered_scope_sees_everything():
    viewer = Viewer.from_scopes("boss", [GRADEBOOK_SCOPE, "access:services"])
    assert viewer.sees_all and viewer.is_staff
    assert viewer.visible_cohorts(["b", "a"]) == ["a", "b"]


def test_group_filters_open_only_those_cohorts():
    viewer = Viewer.from_scopes("lead", [
        f"{GRADEBOOK_SCOPE}!group=cohort-iqaluit-2026",
        f"{GRADEBOOK_SCOPE}!group=instructors",  # not a cohort group: ignored
        "read:users!group=cohort-rankin-2026",  # other scopes never open the gradebook
    ])
    assert not viewer.sees_all and viewer.is_staff
    assert viewer.cohorts == {"iqaluit-2026"}
    assert viewer.visible_cohorts(["rankin-2026", "iqaluit-2026"]) == ["iqaluit-2026"]


def test_user_filter_or_no_scope_is_a_learner():
    for scopes in ([], [f"{GRADEBOOK_SCOPE}!user=ana"], [f"{GRADEBOOK_SCOPE}:other"]):
        viewer = Viewer.from_scopes("ana", scopes)
        assert not viewer.is_staff and not viewer.may_see_cohort("iqaluit-2026")


def test_the_admin_flag_sees_everything():
    admin = Viewer.from_model({"name": "ada", "admin": True, "scopes": ["access:services"]})
    assert admin.sees_all and admin.may_see_cohort("rankin-2026")
    learner = Viewer.from_model({"name": "ana", "admin": False, "scopes": []})
    assert not learner.is_staff
