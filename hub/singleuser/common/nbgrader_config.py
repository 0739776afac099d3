"""nbgrader settings for single-user servers, from the spawner's NORTHLAB_* variables.

Learners see every course of their cohorts (the exchange's Unix groups decide which) and
the released labs of the track they started; fetched labs go to the track's folder.
Instructors also get their course root, where the course's own nbgrader_config.py is
loaded from. Pages rendered from notebooks (formgrader, feedback) are sanitized.
"""

import os

from graders.nbgrader_bridge import sanitize_pages
from hub.courses.local_exchange import configure_exchange

c = get_config()  # noqa: F821
sanitize_pages(c)  # formgrader's pages and feedback show a learner's HTML as text
# Container modes (the track images) reach the exchange service instead: their
# /etc/jupyter/nbgrader_config.py routes nbgrader there.
if not os.environ.get("NORTHLAB_EXCHANGE_URL"):
    configure_exchange(c, os.environ["NORTHLAB_EXCHANGE"])
c.Exchange.assignment_dir = os.environ.get("NORTHLAB_ASSIGNMENT_DIR", ".")
if os.environ.get("NORTHLAB_ROLE") == "learner":
    c.NorthlabList.track = os.environ.get("NORTHLAB_TRACK", "")
if os.environ.get("NORTHLAB_COURSE_ROOT"):
    c.CourseDirectory.root = os.environ["NORTHLAB_COURSE_ROOT"]
    c.CourseDirectory.course_id = os.environ["NORTHLAB_COURSE"]
    c.CourseDirectory.groupshared = True
