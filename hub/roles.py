"""JupyterHub RBAC for northlab: groups, roles and custom scopes.

- ``instructors``: may see and start every server, use formgrader and the gradebook.
- ``cohort-<id>``: one group per cohort of learners (nbgrader course ``<id>``).
- ``cohort-leads``: everyone leading a cohort; each lead also gets the role
  ``cohort-lead-<id>`` scoped to ``!group=cohort-<id>`` for each cohort they lead.
  Leads per cohort are kept in ``<data_root>/hub/cohorts.json`` (``northlab cohort add
  --lead``) and turned into roles when the hub starts.
- ``northlab-cli``: the service token the ``northlab`` command uses to manage people.
"""

from __future__ import annotations

import json
from pathlib import Path

INSTRUCTORS = "instructors"
COHORT_LEADS = "cohort-leads"
COHORT_PREFIX = "cohort-"
REPORT_RESULTS = "custom:northlab:report-results"
GRADEBOOK = "custom:northlab:gradebook"
CLI_SERVICE = "northlab-cli"

CUSTOM_SCOPES = {
    REPORT_RESULTS: {"description": "Report grading results to the credential service."},
    GRADEBOOK: {"description": "Read the gradebook (learners' results and credentials)."},
}

COHORT_LEAD_SCOPES = (
    "list:users", "read:users", "read:users:activity", "read:servers", "read:groups",
    "list:groups", f"{GRADEBOOK}",
)


def cohort_group(cohort: str) -> str:
    return COHORT_PREFIX + cohort


def load_cohorts(path: Path) -> dict[str, dict[str, list[str]]]:
    """The cohorts registry: ``{cohort id: {"leads": [user, ...]}}``."""
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def save_cohorts(path: Path, cohorts: dict[str, dict[str, list[str]]]) -> None:
    path.write_text(json.dumps(cohorts, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    path.chmod(0o600)


def roles(cohorts: dict[str, dict[str, list[str]]], admins: tuple[str, ...] = ()) -> list[dict]:
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
            "description": "Course staff: manage learners' servers, read results.",
            "groups": [INSTRUCTORS],
            "scopes": [
                "self", "list:users", "read:users", "read:groups", "list:groups",
                "access:servers", "servers", "admin-ui", GRADEBOOK,
            ],
        },
        {
            "name": "northlab-cli",
            "description": "The northlab command: create people and cohorts.",
            "services": [CLI_SERVICE],
            "scopes": ["admin:users", "admin:groups", "admin:servers", "tokens", "list:services",
                       "read:services"],
        },
    ]
    for cohort, entry in sorted(cohorts.items()):
        group = cohort_group(cohort)
        result.append(
            {
                "name": f"cohort-lead-{cohort}",
                "description": f"Lead of cohort {cohort}: follow its learners.",
                "users": sorted(entry.get("leads", [])),
                "scopes": ["self", "admin-ui"]
                + [f"{scope}!group={group}" for scope in COHORT_LEAD_SCOPES],
            }
        )
    return result
