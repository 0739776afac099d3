"""Every gradeable notebook of nbgrader's own test suite (``nbgrader/tests/apps/files``,
used in place) gets the same per-cell scores from stock ``nbgrader autograde`` and from
northlab (issue 19, "Done when").

The folder is read at collection time, so a notebook added by a new nbgrader release is
compared (or must be skipped with a reason below). nbgrader's tests hand in a variant of
``X.ipynb`` as ``X-changed.ipynb``, ``X-unchanged.ipynb``...: notebooks with the same graded
cells form one family, graded as submissions of its root (the shortest name, ``-unchanged``
not counted). Each root is a lab; its learners are the instructor's solution, the blank
release and every other member of its family. All labs go through one stock course and one
northlab run, side by side.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_kit import (  # noqa: E402
    APP_FILES,
    Case,
    northlab_scores,
    notebook_text,
    released,
    stock_scores,
)

pytestmark = pytest.mark.slow  # runs stock nbgrader autograde, like the other comparisons

#: nbgrader's current notebook metadata schema; autograde refuses other versions
SCHEMA_VERSION = 3
#: files next to the notebooks that a test cell or nbgrader's test generation reads
LAB_FILES = ("data.txt", "autotests.yml")
#: (root, learner, grade_id) of the cells that score differently, all for one reason
#: (graders/README.md, "nbgrader fidelity"): ``### AUTOTEST expr`` lines are expanded into
#: asserts by stock generate_assignment (it runs the solution in a kernel); northlab runs
#: them as comments, so the cell passes: stock 0, northlab full marks
AUTOTEST_CELLS = {
    ("autotest-hashed", "autotest-hashed-unchanged", "test_hashed"),
    ("autotest-hashed", "release", "test_hashed"),
    ("autotest-hidden", "autotest-hidden-changed-wrong", "test_hidden"),
    ("autotest-hidden", "autotest-hidden-unchanged", "test_hidden"),
    ("autotest-hidden", "release", "test_hidden"),
    ("autotest-multi", "autotest-multi-changed", "cell-693350420ec62f1b"),
    ("autotest-multi", "autotest-multi-unchanged", "test_multi"),
    ("autotest-multi", "autotest-multi-unchanged", "cell-f2803ba7c42d03ab"),
    ("autotest-multi", "autotest-multi-unchanged", "cell-693350420ec62f1b"),
    ("autotest-multi", "autotest-multi-unchanged", "cell-13479eb0e5fff152"),
    ("autotest-multi", "release", "test_multi"),
    ("autotest-multi", "release", "cell-f2803ba7c42d03ab"),
    ("autotest-multi", "release", "cell-693350420ec62f1b"),
    ("autotest-multi", "release", "cell-13479eb0e5fff152"),
    ("autotest-simple", "autotest-simple-unchanged", "test_simple"),
    ("autotest-simple", "release", "test_simple"),
}


def _graded(path: Path) -> tuple | None:
    """(grade_id, points) of every graded cell, or None with the reason in ``skip``."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    metas = [c["metadata"]["nbgrader"] for c in cells if "nbgrader" in c.get("metadata", {})]
    return tuple(sorted((m.get("grade_id"), float(m.get("points", 0)))
                        for m in metas if m.get("grade")))


def skip_reason(path: Path) -> str | None:
    """Why stock nbgrader cannot autograde ``path`` as a source notebook (None: it can)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    metas = [c["metadata"]["nbgrader"] for c in cells if "nbgrader" in c.get("metadata", {})]
    if not any(m.get("grade") for m in metas):
        return "no graded cell: nothing to autograde"
    versions = {m.get("schema_version", 0) for m in metas}
    if versions != {SCHEMA_VERSION}:
        return (f"nbgrader metadata schema {sorted(versions)}: generate_assignment refuses "
                "it until `nbgrader update` rewrites the notebook")
    return None


NOTEBOOKS = sorted(APP_FILES.glob("*.ipynb"))
SKIPPED = {p.stem: reason for p in NOTEBOOKS if (reason := skip_reason(p))}
GRADEABLE = [p for p in NOTEBOOKS if p.stem not in SKIPPED]


def _root_first(path: Path) -> tuple[int, str]:
    """A family's root sorts first: the shortest name, ``X-unchanged`` counted as ``X``."""
    return len(path.stem.removesuffix("-unchanged")), path.stem


def families() -> dict[str, list[Path]]:
    """root stem -> the other notebooks with the same graded cells."""
    groups: dict[tuple, list[Path]] = {}
    for path in GRADEABLE:
        groups.setdefault(_graded(path), []).append(path)
    out = {}
    for members in groups.values():
        root, *others = sorted(members, key=_root_first)
        out[root.stem] = others
    return out


FAMILIES = families()


def _lab_id(stem: str) -> str:
    return stem.replace("_", "-")


def cases(scratch: Path) -> list[Case]:
    files = {name: (APP_FILES / name).read_bytes() for name in LAB_FILES}
    out = []
    for root, others in FAMILIES.items():
        source = notebook_text(APP_FILES / f"{root}.ipynb")
        out.append(Case(_lab_id(root), source, files, {
            "solution": source, "release": released(source, scratch),
            **{p.stem: notebook_text(p) for p in others}}))
    return out


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    root = tmp_path_factory.mktemp("judge-corpus")
    labs = cases(root)
    with ThreadPoolExecutor(2) as pool:  # independent: the stock course and northlab's labs
        stock, ours = pool.submit(stock_scores, root, labs), pool.submit(northlab_scores,
                                                                         root, labs)
        return stock.result(), ours.result()


@pytest.mark.parametrize("root", sorted(FAMILIES))
def test_each_cell_scores_as_in_stock_nbgrader(root: str, scores: tuple[dict, dict]) -> None:
    stock, ours = scores
    lab = _lab_id(root)
    learners = ["solution", "release", *(p.stem for p in FAMILIES[root])]
    for learner in learners:
        expected = stock[lab, learner]
        assert expected, (lab, learner)  # autograde graded something
        got = ours[lab, learner]
        for cell, score in expected.items():
            if (lab, learner, cell) in AUTOTEST_CELLS:
                assert (score, got.get(cell)) == (0, 1), (root, learner, cell)
            else:
                assert got.get(cell) == pytest.approx(score), (root, learner, cell, got)


def test_the_differing_cells_are_autotest_cells() -> None:
    """Each documented cell holds AUTOTEST directives in its root notebook."""
    for root, _, cell in AUTOTEST_CELLS:
        nb = json.loads((APP_FILES / f"{root}.ipynb").read_text(encoding="utf-8"))
        source = "".join("".join(c["source"]) for c in nb["cells"]
                         if c["metadata"].get("nbgrader", {}).get("grade_id") == cell)
        assert "AUTOTEST" in source, (root, cell)


def test_every_notebook_is_compared_or_skipped_for_a_reason() -> None:
    compared = {p.stem for p in GRADEABLE}
    assert compared | set(SKIPPED) == {p.stem for p in NOTEBOOKS}
    assert len(FAMILIES) >= 10 and sum(map(len, FAMILIES.values())) >= 10
