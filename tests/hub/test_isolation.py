"""A learner's real kernel cannot reach other learners, the hub, instructors' material,
other cohorts or the grader's state; an instructor's cannot enter another course (local
mode file modes and ownership)."""

from __future__ import annotations

import json
import textwrap

import pytest

from hub.people.manage import add_cohort, add_person
from northlab.groups import cohort_group

from .kernel import execute, start_kernel

pytestmark = pytest.mark.slow

#: Kernel code: ``probe(label, action)`` records whether ``action`` was allowed.
PROBING = """
import getpass, json, os
results = {}
def probe(label, action):
    try:
        action()
        results[label] = "ALLOWED"
    except PermissionError:
        results[label] = "denied"
"""

PROBE = PROBING + """probe("read other home", lambda: os.listdir(OTHER_HOME))
probe("write other home", lambda: open(os.path.join(OTHER_HOME, "x"), "w"))
probe("read hub db", lambda: open(os.path.join(DATA, "hub", "jupyterhub.sqlite"), "rb"))
probe("read hub folder", lambda: os.listdir(os.path.join(DATA, "hub")))
probe("read course root", lambda: os.listdir(COURSE))
probe("read course gradebook", lambda: open(os.path.join(COURSE, "gradebook.db"), "rb"))
probe("read repo labs", lambda: os.listdir(LABS))
probe("write exchange root", lambda: open(os.path.join(DATA, "exchange", "x"), "w"))
probe("list inbound", lambda: os.listdir(os.path.join(DATA, "exchange", COHORT, "inbound")))
probe("write outbound", lambda: os.mkdir(os.path.join(DATA, "exchange", COHORT, "outbound", "x")))
probe("other cohort exchange", lambda: os.listdir(os.path.join(DATA, "exchange", OTHER_COHORT)))
for private in ("results", "outbox", "credentials", "gradebook"):
    probe("read " + private, lambda: os.listdir(os.path.join(DATA, private)))
probe("write own home", lambda: open(os.path.join(os.path.expanduser("~"), "mine.txt"), "w"))
print(json.dumps({"user": getpass.getuser(), "uid": os.getuid(), "results": results}))
"""


def run_probe(hub, name: str, token: str, code: str) -> dict:
    """Run ``code`` in a new kernel of ``name``'s server; its last printed line, parsed."""
    server = f"{hub.url}/user/{name}/"
    out = execute(server, token, start_kernel(server, token), textwrap.dedent(code))
    return json.loads(out.strip().splitlines()[-1])


def test_learner_kernel_is_confined(any_hub):
    hub = any_hub
    learner, other = hub.name("iso-a"), hub.name("iso-b")
    other_cohort = f"{hub.prefix}-other"
    add_cohort(hub.settings, other_cohort)
    for name in (learner, other):
        hub.client.ensure_user(name)
    hub.client.add_to_group(cohort_group(hub.cohort), learner, other)
    hub.start_server(other, "robotics")  # makes the other home exist, owned by them
    token = hub.start_server(learner, "cybersecurity")
    data = hub.settings.data_root
    setup = (
        f"DATA = {str(data)!r}\nOTHER_HOME = {str(hub.settings.home_root / other)!r}\n"
        f"COURSE = {str(hub.settings.courses_root / hub.cohort)!r}\n"
        f"COHORT = {hub.cohort!r}\nOTHER_COHORT = {other_cohort!r}\n"
        f"LABS = {str(hub.settings.labs_root)!r}\n"
    )
    report = run_probe(hub, learner, token, setup + PROBE)
    assert report["user"] == learner and report["uid"] != 0
    results = report["results"]
    assert results.pop("write own home") == "ALLOWED"
    assert results == {label: "denied" for label in results}, results
    for name in (learner, other):
        hub.stop_server(name)


COURSE_PROBE = PROBING + """for which, course in (("own", OWN), ("other", OTHER)):
    root = os.path.join(COURSES, course)
    probe(which + " course root", lambda: os.listdir(root))
    probe(which + " course config", lambda: open(os.path.join(root, "nbgrader_config.py")))
    probe(which + " course source", lambda: os.makedirs(os.path.join(root, "source", "probe")))
    probe(which + " exchange", lambda: os.listdir(os.path.join(EXCHANGE, course, "outbound")))
print(json.dumps(results))
"""


def test_instructor_kernel_enters_only_their_course(any_hub):
    hub = any_hub
    teacher = hub.name("iso-t")
    add_person(hub.settings, hub.client, teacher, role="instructor", cohort=hub.cohort,
               password=None)
    token = hub.start_server(teacher, "ai-data")
    setup = (
        f"COURSES = {str(hub.settings.courses_root)!r}\n"
        f"EXCHANGE = {str(hub.settings.exchange_root)!r}\n"
        f"OWN = {hub.cohort!r}\nOTHER = {hub.other_cohort!r}\n"
    )
    results = run_probe(hub, teacher, token, setup + COURSE_PROBE)
    expected = {label: "ALLOWED" if label.startswith("own") else "denied" for label in results}
    assert len(results) == 8 and results == expected, results
    hub.stop_server(teacher)
