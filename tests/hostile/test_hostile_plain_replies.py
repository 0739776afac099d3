"""A learner object's repr/str is the learner's to write, so a test never reads a reply as
text unless it is plain data all the way down (fifth adversarial review, F2).

sql-injection's tests checked only that the app's reply was a plain dict, then read
``repr(reply)`` for leaks: a body that is a dict subclass (a handle in the judge) had its
``repr`` answered by the learner's worker, and a raw sqlite error passed
test_errors_do_not_leak (6/21 for a blank app that deserves 5/21). Now every reply goes
through ``learner.data`` (``graders.remote.proxy.plain_data``), which refuses a learner
object anywhere inside it; ``northlab check`` grades the starter with every function's
reply wrapped in dicts and lists whose repr/str lie, and fails a lab where that passes a
test the starter fails.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remote_pair import remote_pair  # noqa: E402

from graders.check import check_lab  # noqa: E402
from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.remote.proxy import NotPlainData, plain_data  # noqa: E402
from graders.submissions import Submission, read_files  # noqa: E402

SQLI = Path(__file__).resolve().parents[2] / "labs" / "cybersecurity" / "sql-injection"
ERRORS_TEST = "test_app.py::test_errors_do_not_leak"

#: a text that says nothing, whatever is asked of it
LIAR = '''
    def __repr__(self):
        return "{}"
    __str__ = __repr__
    def __format__(self, spec):
        return "{}"
'''
#: learner -> code appended to the starter app.py: the raw database error still in the
#: reply, wrapped so that its repr/str/format say nothing
ATTACKS = {
    # the review's reproducer: the error body is a dict subclass
    "body-dict-subclass": "class _Body(dict):" + LIAR + (
        "_handle = handle\n"
        "def handle(request):\n"
        "    reply = _handle(request)\n"
        "    if reply.get('status') == 500:\n"
        "        reply['body'] = _Body(reply['body'])\n"
        "    return reply\n"),
    # the error text itself is a str subclass
    "error-str-subclass": "class _Text(str):" + LIAR + (
        "_handle = handle\n"
        "def handle(request):\n"
        "    reply = _handle(request)\n"
        "    if reply.get('status') == 500:\n"
        "        reply['body'] = {'error': _Text(reply['body']['error'])}\n"
        "    return reply\n"),
    # an object (no container at all) in place of the body
    "body-object": "class _Anything:" + LIAR + (
        "    def __getitem__(self, key):\n"
        "        return 'something went wrong'\n"
        "_handle = handle\n"
        "def handle(request):\n"
        "    reply = _handle(request)\n"
        "    if reply.get('status') == 500:\n"
        "        reply['body'] = _Anything()\n"
        "    return reply\n"),
    # the reply's own dict is plain; the liar two levels down, in a list
    "deep-list-subclass": "class _Rows(list):" + LIAR + (
        "_handle = handle\n"
        "def handle(request):\n"
        "    reply = _handle(request)\n"
        "    if reply.get('status') == 500:\n"
        "        reply['body'] = {'details': [_Rows([reply['body']])]}\n"
        "    return reply\n"),
    # sixth review, A: the error kept in a label of a Series' object index (plain_data
    # walked a Series' name and values, never its index)
    "series-index-label": "class _Err:" + LIAR + (
        "import pandas as _pd\n"
        "_handle = handle\n"
        "def handle(request):\n"
        "    reply = _handle(request)\n"
        "    if reply.get('status') == 500:\n"
        "        label = _Err()\n"
        "        label.text = reply['body']['error']\n"
        "        reply['body'] = _pd.Series(['generic'], index=_pd.Index([label], "
        "dtype=object))\n"
        "    return reply\n"),
}


def test_lying_replies_never_pass_the_leak_checks() -> None:
    lab = load_lab(SQLI)
    starter = read_files(lab.source_dir)
    subs = [Submission("starter", lab.source_dir, files=starter),
            Submission("solution", lab.solution_dir, files=read_files(lab.solution_dir))]
    for learner, code in ATTACKS.items():
        files = {**starter, "app.py": starter["app.py"] + b"\n\n" + code.encode()}
        subs.append(Submission(learner, lab.source_dir, files=files))
    with Grader(lab, workers=2) as grader:
        records = {r["learner"]: r for r in grader.grade_all(subs)}
    assert records["solution"]["score"] == lab.points  # positive control
    blank = records["starter"]["score"]
    for learner in ATTACKS:
        record = records[learner]
        assert record["error"] is None, (learner, record["error"])
        passed = {t["name"] for t in record["tests"] if t["points"] > 0}
        assert ERRORS_TEST not in passed, learner
        assert record["score"] <= blank, (learner, record["score"])


class Liar(dict):
    def __repr__(self) -> str:
        return "{}"


def test_plain_data_refuses_a_learner_object_anywhere_inside() -> None:
    namespace = {"Liar": Liar, "liar": Liar(error="sqlite3.OperationalError"),
                 "frame": pd.DataFrame({"a": [1, 2]}), "text": "plain",
                 "rich": {  # every pandas/numpy shape the codec decodes, all plain
                     "named": pd.Series([1.5, None], index=["x", "y"], name="n"),
                     "when": pd.Series(pd.to_datetime(["2026-01-01", "2026-02-01"])),
                     "utc": pd.Series(pd.to_datetime(["2026-01-01"], utc=True)),
                     "kind": pd.Series(["a", "b", "a"], dtype="category"),
                     "nullable": pd.Series([1, None], dtype="Int64"),
                     "mixed": pd.Series([1, "a", [2, {"k": 3}]], dtype=object),
                     "multi": pd.DataFrame({"v": [1, 2]}, index=pd.MultiIndex.from_tuples(
                         [("a", 1), ("b", 2)], names=["k", "n"])),
                     "range": pd.RangeIndex(3), "array": np.arange(4).reshape(2, 2),
                     "scalars": [np.float32(1), np.int64(2), 3j, b"x", True]}}
    with remote_pair(namespace) as conn:  # handles as the judge gets them
        liar = conn.request("name", name="liar")
        frame = conn.request("name", name="frame")
        assert repr(liar) == "{}"  # what a test reading repr() would have believed
        plain = {"status": 500, "body": {"rows": [(1, "a"), {2.0, None}], "b": b"x"},
                 "frame": frame}
        assert plain_data(plain) is plain  # plain data (a judge-side DataFrame too) passes
        rich = conn.request("name", name="rich")
        assert plain_data(rich) is rich
        for hidden in (liar, [liar], {"body": liar}, {"k": (1, [liar])}, [[[liar]]],
                       {"rows": [{"x": {"y": liar}}]}, (1, (2, (3, liar))),
                       pd.Series([1, liar], dtype=object),
                       pd.DataFrame({"a": pd.Series([liar], dtype=object)}),
                       # sixth review, A: every part of every pandas object
                       pd.Series([1], index=pd.Index([liar], dtype=object)),
                       pd.Series([1], index=pd.Index([liar], dtype=object), name="s"),
                       pd.DataFrame({"a": [1]}, index=pd.Index([liar], dtype=object)),
                       pd.DataFrame([[1]], columns=pd.Index([liar], dtype=object)),
                       pd.Index([liar], dtype=object),
                       pd.Series([pd.Series([1], index=pd.Index([liar], dtype=object))],
                                 dtype=object),
                       {"rows": [pd.Index(["a", liar], dtype=object)]},
                       np.array([1, liar], dtype=object),
                       # an exact type the codec never decodes is refused, not trusted
                       Liar(), object(), range(3), pd.Timestamp(0)):
            with pytest.raises(NotPlainData):
                plain_data(hidden)


def old_sql_injection(into: Path) -> Path:
    """sql-injection with its grader as before the fix (only the reply's own type checked)."""
    lab = into / "sql-injection"
    shutil.copytree(SQLI, lab)
    grader = lab / "grader" / "test_app.py"
    text = grader.read_text()
    start, end = text.index("class App:"), text.index("def answer(")
    grader.write_text(text[:start] + (
        "@pytest.fixture\n"
        "def app(learner):\n"
        "    app = learner.module('app')\n"
        "    app.reset_db()\n"
        "    return app\n\n\n") + text[end:])
    return lab


def test_northlab_check_fails_a_grader_that_reads_lying_replies(tmp_path: Path) -> None:
    report = check_lab(old_sql_injection(tmp_path))
    checks = dict(report.checks)
    assert checks["solution"] is None and checks["release"] is None
    assert f"(lying-repr-nested) passed {ERRORS_TEST}, which the starter fails" in (
        checks["tamper"] or "")
    # sixth review, A: the error inside a lying label of a Series' index
    assert f"(lying-series-index) passed {ERRORS_TEST}, which the starter fails" in (
        checks["tamper"] or "")


def test_northlab_check_passes_sql_injection_with_every_lying_reply() -> None:
    report = check_lab(SQLI)
    assert dict(report.checks)["tamper"] is None, report.checks
