"""JupyterHub RBAC for northlab: groups, roles and custom scopes.

Groups (hub database; changes through the REST API or the admin panel take effect at once):

- ``cohort-<id>``: the learners of cohort ``<id>`` (nbgrader course ``<id>``).
- ``leads-<id>``: the leads of cohort ``<id>``; ``instructors-<id>``: the instructors of
  course ``<id>``. Per-cohort roles are bound to these groups, so adding a person to one
  gives them their access without a hub restart.
- ``cohort-leads`` and ``instructors``: everyone leading any cohort / teaching any course
  (the spawner gives ``instructors`` the instructor server: formgrader, course links).

Roles are made when the hub starts, one pair per known cohort (``cohorts.json`` plus the
course roots on disk): ``cohort-lead-<id>`` and ``course-instructor-<id>``, every scope
filtered to ``!group=cohort-<id>``, and ``gradebook-opens-<id>`` for the gradebook service
(start that cohort's learners' servers when its staff open the class). A cohort created
while the hub runs gets its roles at the next hub start. Only hub admins (role
``program-staff``) read every cohort's gradebook.

Source of truth: the hub's groups are the one record of who leads or teaches what (as they
are of who learns where). ``<data_root>/hub/cohorts.json`` only lists the cohorts; its
``leads`` lists are from northlab before per-cohort groups and are added to ``leads-<id>``
at every hub start (JupyterHub's ``load_groups`` only adds, never removes); new leads are
not written there.

``northlab-cli`` is the service token the ``northlab`` command uses to manage people.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from northlab.groups import (
    COHORT_LEADS,
    INSTRUCTORS,
    cohort_group,
    instructors_group,
    leads_group,
    teaches_only,
)

GRADEBOOK_URL = "/services/gradebook/"
REPORT_RESULTS = "custom:northlab:report-results"
GRADEBOOK = "custom:northlab:gradebook"
CLI_SERVICE = "northlab-cli"

CUSTOM_SCOPES = {
    REPORT_RESULTS: {"description": "Report grading results to the credential service."},
    GRADEBOOK: {"description": "Read the gradebook (learners' results and credentials)."},
}

#: What a lead may do with their cohort's learners (each filtered ``!group=cohort-<id>``).
COHORT_LEAD_SCOPES = (
    "list:users", "read:users", "read:users:activity", "read:servers", "read:groups",
    "list:groups", GRADEBOOK,
)
#: What an instructor may do with their course's learners: also start, stop and open
#: their servers (each filtered ``!group=cohort-<id>``).
COURSE_INSTRUCTOR_SCOPES = (
    "list:users", "read:users", "read:users:activity", "servers", "access:servers",
    "read:servers", "read:groups", "list:groups", GRADEBOOK,
)

#: What the gradebook service's own token may do with each cohort's learners: open the
#: class (start their servers) for the cohort's staff (hub/services/gradebook/openclass.py).
GRADEBOOK_SERVICE_SCOPES = ("read:users", "read:servers", "servers")

Cohorts = dict[str, dict[str, list[str]]]


def landing_url(handler: Any) -> str:
    """``c.JupyterHub.default_url``: where a person lands after login, where their work is.

    - a cohort lead who does not also teach: the gradebook;
    - an instructor who does not also learn: their own JupyterLab (Nbgrader menu,
      formgrader), started without the track chooser (:func:`hub.pages.track_form.options_form`);
    - a learner (everyone else): JupyterHub's default (""), their server, through the track
      chooser when it is not running.
    """
    user = handler.current_user
    groups = {group.name for group in user.groups} if user is not None else set()
    if COHORT_LEADS in groups and INSTRUCTORS not in groups:
        return GRADEBOOK_URL
    if teaches_only(groups):
        return handler.hub.base_url + "spawn"  # the running server, or starts it
    return ""


def load_cohorts(path: Path) -> Cohorts:
    """The cohorts registry: ``{cohort id: {}}`` (older files: ``{"leads": [user, ...]}``)."""
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def save_cohorts(path: Path, cohorts: Cohorts) -> None:
    path.write_text(json.dumps(cohorts, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    path.chmod(0o600)


def groups(cohorts: Cohorts) -> dict[str, dict[str, list[str]]]:
    """``c.JupyterHub.load_groups``: every group northlab uses, with the leads recorded in
    older ``cohorts.json`` files (JupyterHub only adds them; live members stay)."""
    legacy = {cohort: sorted(entry.get("leads", [])) for cohort, entry in cohorts.items()}
    result = {
        INSTRUCTORS: {"users": []},
        COHORT_LEADS: {"users": sorted({lead for leads in legacy.values() for lead in leads})},
    }
    for cohort in sorted(cohorts):
        result[cohort_group(cohort)] = {"users": []}
        result[leads_group(cohort)] = {"users": legacy[cohort]}
        result[instructors_group(cohort)] = {"users": []}
    return result


def _filtered(scopes: tuple[str, ...], cohort: str) -> list[str]:
    return [f"{scope}!group={cohort_group(cohort)}" for scope in scopes]


def roles(cohorts: Cohorts, admins: tuple[str, ...] = ()) -> list[dict]:
    """``c.JupyterHub.load_roles`` for the given cohorts and hub admins."""
    result = [
        {
            "name": "program-staff",
            "description": "Hub admins also read every cohort's gradebook.",
            "users": sorted(admins),
            "scopes": [GRADEBOOK],
        },
        {
            "name": "instructor",
            "description": "Course staff: the admin page; learners come with course roles.",
            "groups": [INSTRUCTORS],
            "scopes": ["self", "admin-ui"],
        },
        {
            "name": "northlab-cli",
            "description": "The northlab command: create people and cohorts.",
            "services": [CLI_SERVICE],
            "scopes": ["admin:users", "admin:groups", "admin:servers", "tokens", "list:services",
                       "read:services"],
        },
    ]
    for cohort in sorted(cohorts):
        result += [
            {
                "name": f"cohort-lead-{cohort}",
                "description": f"Leads of cohort {cohort}: follow its learners in the "
                               "gradebook.",
                "groups": [leads_group(cohort)],
                # no admin-ui: each of its controls (stop, access, shut down) needs scopes a
                # lead does not have, so it would only show buttons that fail
                "scopes": ["self", *_filtered(COHORT_LEAD_SCOPES, cohort)],
            },
            {
                "name": f"course-instructor-{cohort}",
                "description": f"Instructors of course {cohort}: its learners and servers.",
                "groups": [instructors_group(cohort)],
                "scopes": ["self", "admin-ui", *_filtered(COURSE_INSTRUCTOR_SCOPES, cohort)],
            },
            {
                "name": f"gradebook-opens-{cohort}",
                "description": f"The gradebook opens class {cohort} for its staff.",
                "services": ["gradebook"],
                "scopes": _filtered(GRADEBOOK_SERVICE_SCOPES, cohort),
            },
        ]
    return result
