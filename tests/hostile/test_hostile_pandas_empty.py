"""Class 3 of the threat model: empty pandas data never passes a comparison vacuously.

The learner's Series and DataFrames reach the judge as LearnerSeries / LearnerDataFrame:
``(out["temp"] >= -50).all()``, ``s.eq(x)``, ``np.all(df == x)``, ``.isin(...).all()`` on a
learner's empty frame are refused instead of answering True, honest frames compare and go
back to the worker as before, and ``northlab check``'s tamper pass fails a lab whose test
passes on the solution's frame with zero rows (a test the judge cannot see through).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from remote_pair import remote_pair

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import NB_LAB  # noqa: E402

from graders.check import check_lab  # noqa: E402
from graders.engine import Grader  # noqa: E402
from graders.judge.strict import ShapeMismatch, install  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.submissions import Submission  # noqa: E402

READINGS = pd.DataFrame({"temp": [-999.0, 12.0, 999.0, -4.0], "site": list("abcd")})
TEMP = READINGS["temp"]
VACUOUS: dict[str, Callable[[Any], Any]] = {
    "ge-all": lambda out: (out["temp"] >= -50).all(),
    "eq-all": lambda out: (out["temp"] == 12.0).all(),
    "scalar-first": lambda out: (12.0 == out["temp"]).all(),
    "eq-method": lambda out: out["temp"].eq(12.0).all(),
    "le-method": lambda out: out["temp"].le(50).all(),
    "np-all-frame": lambda out: np.all(out == 12.0),
    "np-all-series": lambda out: np.all(out["temp"] <= 50),
    "isin-all": lambda out: out["temp"].isin(TEMP).all(),
    "frame-all": lambda out: out.notna().all().all(),
    "to-numpy": lambda out: (out["temp"].to_numpy() <= 50).all(),
    "values": lambda out: (out["temp"].values <= 50).all(),
    "frame-row-broadcast": lambda out: (out[["temp"]] == TEMP.iloc[:1]).all().all(),
}


@pytest.mark.parametrize("form", sorted(VACUOUS))
def test_an_empty_learner_frame_never_passes(form: str) -> None:
    install()
    with remote_pair({"empty": READINGS.iloc[0:0]}) as conn:
        out = conn.request("name", name="empty")
        with pytest.raises(ShapeMismatch):
            assert VACUOUS[form](out)


def test_honest_learner_frames_compare_and_go_back_to_the_worker() -> None:
    install()
    namespace = {"readings": READINGS, "rows": lambda frame: len(frame),
                 "total": lambda series: float(series.sum())}
    with remote_pair(namespace) as conn:
        out = conn.request("name", name="readings")
        kept = out[(out["temp"] > -60) & (out["temp"] < 60)]
        assert (kept["temp"] >= -50).all() and kept["temp"].isin(TEMP).all()
        assert np.all(out == READINGS) and out["temp"].eq(TEMP).all()
        assert not (kept["temp"] > 50).any() and kept["temp"].tolist() == [12.0, -4.0]
        pd.testing.assert_frame_equal(out, READINGS)
        pd.testing.assert_series_equal(TEMP, out["temp"])
        assert conn.request("name", name="rows")(kept) == 2
        assert conn.request("name", name="total")(out["temp"]) == 8.0


def _filter_lab(into: Path, test: str) -> Path:
    """nb-basics whose column_means is a filter (the solution drops impossible readings),
    with test-means replaced by ``test``."""
    lab = into / "nb-basics"
    shutil.copytree(NB_LAB, lab)
    path = lab / "source" / "nb-basics.ipynb"
    nb = json.loads(path.read_text())
    sources = {
        "answer-means": ("def column_means(df):\n    ### BEGIN SOLUTION\n"
                         "    return df[(df['temp'] > -60) & (df['temp'] < 60)]\n"
                         "    ### END SOLUTION"),
        "test-means": ("_df = pd.DataFrame({'temp': [-999.0, 12.0, 999.0, -4.0]})\n"
                       "_out = column_means(_df)\n" + test)}
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in sources:
            cell["source"] = sources[grade_id]
    path.write_text(json.dumps(nb))
    return lab


EMPTY_ANSWER = "def column_means(df):\n    return df.iloc[0:0]\n"


def test_the_pdempty_submission_scores_nothing(tmp_path: Path) -> None:
    """The reviewer's reproducer: the learner returns ``df.iloc[0:0]``."""
    lab_dir = _filter_lab(tmp_path, "assert (_out['temp'] >= -50).all() and "
                          "(_out['temp'] <= 50).all()\n"
                          "assert _out['temp'].isin(_df['temp']).all()")
    lab = load_lab(lab_dir)
    source = json.loads((lab_dir / "source" / "nb-basics.ipynb").read_text())
    for cell in source["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "answer-means":
            cell["source"] = EMPTY_ANSWER
    files = {"nb-basics.ipynb": json.dumps(source).encode(),
             "data/values.txt": (lab_dir / "source" / "data" / "values.txt").read_bytes()}
    with Grader(lab, workers=1) as grader:
        record = grader.grade(Submission("empty", lab_dir, files=files))
    passed = {t["name"] for t in record["tests"] if t["passed"]}
    assert "test-means" not in passed and "test-square" in passed, record


def test_check_fails_a_lab_whose_test_passes_on_zero_rows(tmp_path: Path) -> None:
    """A row-by-row check of a filter's result passes on zero rows; only the zero-rows
    tamper submission shows it (the empty frame has no 'temp' column)."""
    lab = _filter_lab(tmp_path, "assert all(abs(t) < 60 for t in _out['temp'])")
    checks = dict(check_lab(lab).checks)
    assert checks["solution"] is None and checks["release"] is None
    assert "rebinding every answer (zero-rows) scored 3" in checks["tamper"], checks["tamper"]
