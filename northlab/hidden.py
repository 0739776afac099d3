"""nbgrader's hidden-test markers, and the check that keeps a page showing them from learners."""

from __future__ import annotations

#: a line containing one begins or ends nbgrader's hidden-test region
HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


def shows_hidden_tests(page: bytes) -> bool:
    """Whether a feedback page shows a hidden region's marker (so it is never a learner's)."""
    text = page.decode("utf-8", "replace")
    return HIDDEN_BEGIN in text or HIDDEN_END in text
