"""Two classes found by the adversarial review (2026-11-30), closed in the judge.

- *Plain data that passes comparisons vacuously*: ``pytest.approx(4.0) == np.array([])`` is
  ``all([])``. In the judge, ``approx(scalar)`` equals only a scalar and numpy's comparison
  helpers refuse operands that only match by broadcasting (empty against non-empty,
  different shapes).
- *A handle that behaves differently from the real object*: everything a test can observe
  about a learner object (repr, str, format, len, iteration, attributes such as ``__doc__``)
  is answered by the worker, or refused; never a judge-side constant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remote_pair import remote_pair  # noqa: E402

from graders.judge.strict import install  # noqa: E402
from graders.remote.proxy import Remote, RemoteComparisonError  # noqa: E402

install()  # what the judge does at start

EMPTY = [np.array([]), np.zeros((0, 3)), pd.Series([], dtype=float),
         pd.DataFrame({"x": []}), [], ()]
SCALARS = [0.0, 4.0, np.float64(4.0), 1]


@pytest.mark.parametrize("empty", EMPTY, ids=lambda v: type(v).__name__ + str(np.shape(v)))
@pytest.mark.parametrize("expected", SCALARS)
def test_empty_data_never_equals_a_scalar(empty: Any, expected: Any) -> None:
    assert not pytest.approx(expected) == empty
    for compare in (np.allclose, np.isclose, np.array_equal, np.array_equiv,
                    np.testing.assert_allclose, np.testing.assert_array_equal,
                    np.testing.assert_array_almost_equal):
        with pytest.raises(AssertionError):
            assert np.all(compare(empty, expected))


@pytest.mark.parametrize("got", [np.array([4.0]), np.array([4.0, 4.0]), np.full((2, 2), 4.0),
                                 pd.Series([4.0, 4.0]), [4.0, 4.0]])
def test_an_array_never_approx_equals_a_scalar(got: Any) -> None:
    assert not pytest.approx(4.0) == got


@pytest.mark.parametrize(("got", "expected"), [
    (np.array([1.0]), [1.0, 1.0, 1.0]), (np.ones((3, 1)), np.ones(3)),
    (np.ones(2), np.ones(3)), (np.array([]), np.ones(3)), (np.ones(3), np.array([]))])
def test_no_broadcasting_between_shapes(got: Any, expected: Any) -> None:
    for compare in (np.allclose, np.isclose, np.array_equal, np.testing.assert_allclose,
                    np.testing.assert_array_equal, np.testing.assert_almost_equal):
        with pytest.raises(AssertionError):
            assert np.all(compare(got, expected))
        with pytest.raises(AssertionError):
            assert np.all(compare(expected, got))


def test_honest_comparisons_still_work() -> None:
    assert pytest.approx(4.0) == 4.0000000001
    assert np.float64(0.5) == pytest.approx(0.5)
    assert [1.0, 2.0] == pytest.approx([1.0, 2.0])
    assert np.allclose(np.zeros((3, 2)), 0.0)  # a non-empty array against a bound
    assert np.allclose([1.0, 2.0], np.array([1.0, 2.0]))
    assert np.array_equal(np.array([]), np.array([]))
    np.testing.assert_allclose(np.ones((2, 2)), np.ones((2, 2)))
    np.testing.assert_equal({"a": [1, 2]}, {"a": [1, 2]})


class Reply(dict):
    """A learner object (not an exact dict): crosses as a handle."""

    def __repr__(self) -> str:
        return "Reply(" + dict.__repr__(self) + ")"


def documented() -> None:
    """The learner's own docstring."""


def undocumented() -> None:
    pass


class Sneaky:
    def __repr__(self) -> Any:
        return Text("looks fine")

    __str__ = __repr__


class Text(str):
    pass


class Broken:
    def __repr__(self) -> str:
        return str(1 / 0)


def _namespace() -> dict[str, Any]:
    return {"reply": Reply(status=500, body="sqlite3.OperationalError: near 'x'"),
            "documented": documented, "undocumented": undocumented, "sneaky": Sneaky(),
            "broken": Broken(),
            "team": Reply(a=1, b=2)}


def _get(conn: Any, name: str) -> Any:
    value = conn.request("name", name=name)
    assert isinstance(value, Remote)
    return value


def test_repr_str_format_come_from_the_worker() -> None:
    with remote_pair(_namespace()) as conn:
        reply = _get(conn, "reply")
        real = "Reply({'status': 500, 'body': \"sqlite3.OperationalError: near 'x'\"})"
        assert repr(reply) == real
        assert str(reply) == real
        assert f"{reply}" == real and format(reply) == real and str.format("{}", reply) == real
        assert "sqlite" in repr(reply).lower()  # the lab's leak check sees the leak
        with pytest.raises(TypeError):
            format(reply, ">80")


def test_repr_is_plain_text_and_a_failing_repr_fails() -> None:
    with remote_pair(_namespace()) as conn:
        sneaky = _get(conn, "sneaky")
        for observe in (repr, str, format):
            assert type(observe(sneaky)) is str and observe(sneaky) == "looks fine"
        with pytest.raises(ZeroDivisionError):
            repr(_get(conn, "broken"))


def test_attributes_come_from_the_worker() -> None:
    with remote_pair(_namespace()) as conn:
        assert _get(conn, "documented").__doc__ == "The learner's own docstring."
        assert _get(conn, "undocumented").__doc__ is None
        assert _get(conn, "documented").__name__ == "documented"
        assert _get(conn, "documented").__module__ == __name__
        assert _get(conn, "reply").__doc__ == Reply.__doc__
        for attr in ("__array_interface__", "__array__", "__reduce_ex__", "__getstate__"):
            with pytest.raises(AttributeError):
                getattr(_get(conn, "reply"), attr)


def test_len_iter_come_from_the_worker_and_truth_is_refused() -> None:
    with remote_pair(_namespace()) as conn:
        team = _get(conn, "team")
        assert len(team) == 2 and list(team) == ["a", "b"]
        for refused in (bool, hash, lambda t: "a" in t, lambda t: t == {"a": 1, "b": 2},
                        lambda t: t != {}, lambda t: t < 1):
            with pytest.raises(RemoteComparisonError):
                refused(team)


# -- the review's reproducers and their siblings, on the real labs -------------------------

LABS = Path(__file__).resolve().parents[2] / "labs"
PID_STUB = '''import numpy as np
import pandas as pd

class PID:
    def __init__(self, kp, ki, kd, out_min=-1.0, out_max=1.0):
        pass
    def reset(self):
        pass
    def update(self, setpoint, measurement, dt):
        if dt <= 0:
            raise ValueError("dt")
        return {empty}

GAINS = {{"kp": 0.0, "ki": 0.0, "kd": 0.0}}
def make_speed_controller():
    return PID(**GAINS)
'''
SQL_WRAP = '''

class _Reply(dict):
    pass


_handle = handle


def handle(request):
    reply = _handle(request)
    return _Reply(reply) if reply["status"] >= 500 else reply
'''
#: lab -> attack name -> (test cell the attack cell goes before, attack cell)
NOTEBOOK_ATTACKS = {
    "ai-data/sea-ice-cleaning": {
        f"empty-{kind}": ("test_fill_visible", f"def fill_short_gaps(df, max_days=3):\n"
                                               f"    return {empty}\n")
        for kind, empty in (("rows", "df.iloc[0:0]"), ("frame", "df.iloc[0:0, 0:0]"),
                            ("column", 'df.iloc[0:0][["ice_thickness_cm"]]'))},
    "ai-data/energy-demand-model": {
        "self-reported-mae": ("test_predict_shape",
                              "import numpy as np\n"
                              "def predict_load(frame):\n    return np.zeros(len(frame))\n"
                              "valid_mae, baseline_mae = 0.0, 1.0\n"),
        "rebound-data": ("test_predict_shape",
                         "import numpy as np\n"
                         "data = data.iloc[0:0]\n"
                         "def predict_load(frame):\n    return np.zeros(len(frame))\n"
                         "valid_mae, baseline_mae = 0.0, 1.0\n"),
    },
    "cybersecurity/cipher-breaking": {
        "rebound-messages": ("test_break_message_1",
                             'MESSAGES = {"message_1": {"text": "Reminder"}}\nkey_1 = 0\n'
                             "def caesar_shift(text, k):\n    return text\n"),
        "constant-shift": ("test_break_message_1",
                           "key_1 = 0\ndef caesar_shift(text, k):\n    return 'Reminder'\n"),
    },
}


def _code_attacks(lab_id: str, lab: Any) -> dict[str, dict[str, bytes]]:
    if lab_id == "robotics/pid-speed-control":
        return {f"update-{name}": {"controller.py": PID_STUB.format(empty=empty).encode()}
                for name, empty in (("array", "np.array([])"), ("zeros", "np.zeros((0, 1))"),
                                    ("series", "pd.Series([], dtype=float)"),
                                    ("list", "[]"), ("one", "np.array([0.0])"))}
    starter = (lab.source_dir / "app.py").read_text()
    return {"wrapped-errors": {"app.py": (starter + SQL_WRAP).encode()}}


def _notebook_attack(lab: Any, before: str, source: str) -> dict[str, bytes]:
    import nbformat

    from graders.release import release_notebook
    from graders.submissions import read_files

    nb = release_notebook(lab.notebook)
    at = next(i for i, c in enumerate(nb.cells)
              if c.metadata.get("nbgrader", {}).get("grade_id") == before)
    nb.cells.insert(at, nbformat.v4.new_code_cell(source))
    return {**read_files(lab.source_dir), f"{lab.id}.ipynb": nbformat.writes(nb).encode()}


REPRODUCED = ["robotics/pid-speed-control", "cybersecurity/sql-injection", *NOTEBOOK_ATTACKS]


@pytest.mark.parametrize("lab_id", REPRODUCED)
def test_reproducers_score_no_more_than_the_blank_release(lab_id: str) -> None:
    from graders.check import submissions_for
    from graders.engine import Grader
    from graders.lab import load_lab
    from graders.submissions import Submission

    lab = load_lab(LABS / lab_id)
    if lab_id in NOTEBOOK_ATTACKS:
        attacks = {name: _notebook_attack(lab, before, source)
                   for name, (before, source) in NOTEBOOK_ATTACKS[lab_id].items()}
    else:
        attacks = _code_attacks(lab_id, lab)
    _, release = submissions_for(lab)
    subs = [release, *(Submission(name, lab.path, files=files)
                       for name, files in attacks.items())]
    with Grader(lab, workers=2) as grader:
        blank, *records = grader.grade_all(subs)
    for record in records:
        assert record["error"] is None, record["error"]
        passed = [t["name"] for t in record["tests"] if t["passed"]]
        assert record["score"] <= blank["score"], (record["learner"], passed)


def test_callable_and_dir_come_from_the_worker() -> None:
    with remote_pair(_namespace()) as conn:
        assert callable(_get(conn, "documented"))
        assert not callable(_get(conn, "reply")) and not callable(_get(conn, "sneaky"))
        with pytest.raises(TypeError):
            _get(conn, "reply")()
        assert dir(_get(conn, "reply")) == dir(Reply(status=500, body=""))
        assert "__call__" not in dir(_get(conn, "team"))


@pytest.mark.parametrize(("use", "stays"), [
    ("for k, v in DATA.items():\n    print(k, v)", True),
    ("print(DATA.keys(), DATA.get('a'), DATA.copy())", True),
    ("print(FRAME.head(), FRAME.describe(), FRAME.drop(columns=['x']))", True),
    ("DATA.update({'a': 2})", False),
    ("DATA.pop('a')", False),
    ("FRAME.drop(columns=['x'], inplace=True)", False),
    ("FRAME.sort_values('x', inplace=True)", False),
    ("DATA.setdefault('b', 1)", False),
])
def test_read_only_method_calls_keep_lab_data_a_lab_name(use: str, stays: bool) -> None:
    import ast

    from graders.judge.lab_names import analyse

    cells = ["import pandas as pd\nDATA = {'a': 1}\nFRAME = pd.DataFrame({'x': [1]})", use]
    code = analyse([("lab", text, ast.parse(text)) for text in cells])
    name = "FRAME" if "FRAME" in use else "DATA"
    assert (name in code.names) is stays


# -- F9: learner-derived text is capped where the judge decodes it -------------------------

HUGE = 9_000_000  #: more than the parent reads of a judge report (8 MB)


def _raiser(name: str, message: str = "") -> Any:
    def learner_function() -> None:
        raise type(name, (Exception,), {})(message)
    return learner_function


def _report_size(conn: Any) -> int:
    from graders.judge.run import result_report
    from graders.remote.codec import pack

    return len(pack(result_report(conn, [], None), []))


def test_a_huge_exception_name_is_capped() -> None:
    from graders.remote.proxy import RemoteError

    with remote_pair({"boom": _raiser("E" * HUGE)}) as conn:
        with pytest.raises(RemoteError) as caught:
            _get(conn, "boom")()
        assert len(str(caught.value)) < 10_000 and str(caught.value).startswith("EEE")
        assert "…" in str(caught.value)
        assert _report_size(conn) < 200_000


def test_a_huge_message_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's own cap is in the learner's process: the learner can undo it."""
    import graders.remote.worker
    from graders.remote.proxy import RemoteError

    monkeypatch.setattr(graders.remote.worker, "_message", lambda exc: "m" * HUGE)
    with remote_pair({"boom": _raiser("ValueError")}) as conn:
        with pytest.raises(ValueError) as caught:
            _get(conn, "boom")()
        assert isinstance(caught.value, RemoteError)
        assert 0 < len(str(caught.value)) < 10_000 and str(caught.value).endswith("…")
        assert _report_size(conn) < 200_000


def test_many_exceptions_are_remembered_boundedly() -> None:
    from graders.remote.proxy import RemoteError

    raisers = {f"boom{i}": _raiser(f"E{i}_" + "\u00e9" * 1000) for i in range(3000)}
    with remote_pair(raisers) as conn:
        for name in raisers:
            with pytest.raises(RemoteError):
                _get(conn, name)()
        assert 0 < len(conn.errors) <= 100
        assert _report_size(conn) < 1_000_000  # JSON escapes each "\u00e9" in 6 bytes


def test_a_huge_repr_or_str_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    from graders.remote.worker import WorkerServer

    monkeypatch.setattr(WorkerServer, "op_repr", lambda *_: "r" * HUGE)
    monkeypatch.setattr(WorkerServer, "op_str", lambda *_: "s" * HUGE)
    with remote_pair(_namespace()) as conn:
        reply = _get(conn, "reply")
        for observe, letter in ((repr, "r"), (str, "s"), (format, "s")):
            text = observe(reply)
            assert text.startswith(letter * 1000) and text.endswith("…")
            assert len(text) <= 100_000


def test_a_huge_exception_name_in_a_notebook_gives_a_normal_record() -> None:
    """The review's reproducer, on the real lab in the real sandbox."""
    from graders.engine import Grader
    from graders.lab import load_lab
    from graders.submissions import Submission

    lab = load_lab(LABS / "gamedev/easing-and-physics")
    attack = ('_Big = type("E" * 9_000_000, (Exception,), {})\n'
              "def lerp(a, b, t):\n    raise _Big()\n")
    files = _notebook_attack(lab, "test-lerp", attack)
    with Grader(lab, workers=1) as grader:
        (record,) = grader.grade_all([Submission("bigname", lab.path, files=files)])
    assert record["error"] is None, record["error"]
    assert not any(t["passed"] for t in record["tests"] if "lerp" in t["name"])
