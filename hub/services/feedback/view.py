"""What a learner reads of their instant feedback, in every language or in theirs.

Imported by the learner's server (the Assignments tab), so it stays light: the catalogue
only, no grader and no web framework.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from northlab.i18n import Catalog, pick

CATALOG = Catalog(Path(__file__).parent / "locale")


def _number(value: float) -> str:
    return f"{value:g}"


def message(entry: dict[str, Any]) -> dict[str, str]:
    """The entry's state in one sentence per language."""
    state = entry.get("state")
    if state == "queued":
        return CATALOG.all_languages("feedback.queued", position=entry["position"])
    if state == "grading":
        return CATALOG.all_languages("feedback.grading")
    if state == "limit":
        return CATALOG.all_languages("feedback.limit", attempts=entry["attempts"])
    if entry.get("error"):
        return entry["error"]["message"]
    return CATALOG.all_languages("feedback.graded", score=_number(entry["score"]),
                                 max_score=_number(entry["max_score"]))


def learner_view(entries: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """The service's entries (``api/feedback``) as texts in ``language``, newest first."""
    shown = []
    for entry in reversed(entries):
        attempt = entry.get("attempt")
        item = {
            "course_id": entry.get("course"), "assignment_id": entry.get("lab"),
            "state": entry.get("state"), "position": entry.get("position"),
            "score": entry.get("score"), "max_score": entry.get("max_score"),
            "title": CATALOG.text("feedback.attempt", language, attempt=attempt,
                                  attempts=entry.get("attempts") or "∞") if attempt else "",
            "message": pick(entry.get("message"), language),
            "tests": [{"name": t.get("name"), "passed": t.get("passed"),
                       "text": pick(t.get("feedback"), language)}
                      for t in entry.get("tests") or []],
        }
        if entry.get("hidden_max_points"):
            item["hidden"] = CATALOG.text(
                "feedback.hidden", language, points=_number(entry["hidden_points"]),
                max_points=_number(entry["hidden_max_points"]))
        shown.append(item)
    return shown


def learner_answer(entries: list[dict[str, Any]], language: str) -> dict[str, Any]:
    """The Assignments tab's answer: nbgrader's ``success``/``value`` and a heading."""
    return {"success": True, "value": learner_view(entries, language),
            "heading": CATALOG.text("feedback.title", language)}


def unreachable(language: str) -> dict[str, Any]:
    """nbgrader's failure answer: the service cannot be asked now."""
    return {"success": False, "value": CATALOG.text("feedback.unreachable", language)}
