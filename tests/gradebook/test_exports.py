import csv
import io
from datetime import UTC, datetime

from hub.services.gradebook import exports
from hub.services.gradebook.catalogue import LabInfo
from hub.services.gradebook.queries import Cell
from hub.services.gradebook.views import CohortView, LearnerRow

WHEN = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def view() -> CohortView:
    labs = [LabInfo("alpha", "cybersecurity", 1, {"en": "Alpha", "fr": "Alpha FR"}),
            LabInfo("beta", "cybersecurity", 2, {"en": "=HYPERLINK(1)"})]
    cell = Cell("=cmd|' /C calc'!A0", "alpha", "cybersecurity", 2, 75.0, 6.0, 8.0, WHEN, True)
    rows = [LearnerRow("=cmd|' /C calc'!A0", {"alpha": cell}, ["beta"], 1, 75.0, WHEN),
            LearnerRow("ana", {}, ["alpha", "beta"], 0, None, None)]
    return CohortView("iqaluit-2026", labs, rows, 2, "learner", "asc", "", "all")


def parse(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_grade_rows_cover_every_learner_and_lab_with_missing():
    rows = exports.grade_rows([view()], "fr", pass_percent=60)
    assert [(r["username"][:4], r["lab"], r["status"]) for r in rows] == [
        ("=cmd", "alpha", "completed"), ("=cmd", "beta", "missing"),
        ("ana", "alpha", "missing"), ("ana", "beta", "missing")]
    assert rows[0]["lab_title"] == "Alpha FR" and rows[0]["late"] is True


def test_csv_neutralises_formulas():
    table = parse(exports.grade_rows_csv(exports.grade_rows([view()], "en", 60)))
    assert table[0] == list(exports.ROW_FIELDS)
    assert table[1][0].startswith("'=") and table[2][3].startswith("'=")
    assert table[1][10] == "yes"


def test_lms_layouts():
    summary = exports.summary_rows([view()], {"ana": 1})
    titles = {"alpha": "Alpha", "beta": "Beta"}
    points = {"alpha": 8.0, "beta": 10.0}
    moodle = parse(exports.summary_csv(summary, titles, points, "moodle"))
    assert moodle[0] == ["Username", "Alpha", "Beta"] and moodle[1][1:] == ["6.0", ""]
    canvas = parse(exports.summary_csv(summary, titles, points, "canvas"))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[2][3] == "ana" and canvas[2][4] == "iqaluit-2026"
    bright = parse(exports.summary_csv(summary, titles, points, "brightspace"))
    assert bright[0][:2] == ["Username", "Alpha Points Grade <Numeric MaxPoints:8>"]
    assert bright[0][-1] == "End-of-Line Indicator" and bright[2] == ["ana", "", "", "#"]
    generic = parse(exports.summary_csv(summary, titles, points, "generic"))
    assert generic[2][:3] == ["ana", "iqaluit-2026", "0"] and generic[2][6] == "1"
