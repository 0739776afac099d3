"""Feedback release never hands a learner a page that shows hidden tests (review 9, G2,
second defence): a page made without the course's northlab config (an old one, or a hand
edited config) is held back and named; the others are released."""

from __future__ import annotations

from pathlib import Path

from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from hub.courses.local_exchange import NorthlabReleaseFeedback

LEAKING = ('<pre><span class="c1">### BEGIN HIDDEN TESTS</span>\n'
           'assert sorted(checklist) == [&#39;a&#39;, &#39;c&#39;]</pre>')
CLEAN = "<p>Score: 3.0 / 4.0</p>"


def test_a_page_showing_hidden_tests_is_not_released(tmp_path: Path) -> None:
    course, exchange = tmp_path / "course", tmp_path / "exchange"
    (exchange / "c1" / "feedback").mkdir(parents=True)
    for learner, page in {"ana": LEAKING, "bo": CLEAN, "cy": "<p>END HIDDEN TESTS</p>"}.items():
        folder = course / "feedback" / learner / "lab"
        folder.mkdir(parents=True)
        (folder / "lab.html").write_text(page)
        (folder / "timestamp.txt").write_text("2026-01-15 12:00:00.000000 UTC")
        (folder / "submission_secret.txt").write_text(f"secret-{learner}")
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = "c1"
    config.CourseDirectory.assignment_id = "lab"
    config.Exchange.root = str(exchange)
    release = NorthlabReleaseFeedback(coursedir=CourseDirectory(config=config),
                                      authenticator=Authenticator(config=config), config=config)
    release.start()
    released = [p.read_text() for p in (exchange / "c1" / "feedback").glob("*.html")]
    assert released == [CLEAN]
    assert release.coursedir.student_id_exclude == ""
