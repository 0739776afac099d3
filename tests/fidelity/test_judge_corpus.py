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

from graders.lab import LabError, load_lab

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_kit import (  # noqa: E402
    APP_FILES,
    LAB_TOML,
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
#: the families whose test cells hold ``# AUTOTEST`` lines: stock expands them into asserts
#: when the assignment is generated; northlab does not, so it refuses such a lab (it would
#: pass any answer) instead of grading it (graders/README.md, "nbgrader fidelity")
AUTOTEST_ROOTS = {"autotest-hashed", "autotest-hidden", "autotest-multi", "autotest-simple"}


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


def cases(scratch: Path, roots: set[str]) -> list[Case]:
    files = {name: (APP_FILES / name).read_bytes() for name in LAB_FILES}
    out = []
    for root, others in sorted(FAMILIES.items()):
        if root not in roots:
            continue
        source = notebook_text(APP_FILES / f"{root}.ipynb")
        out.append(Case(_lab_id(root), source, files, {
            "solution": source, "release": released(source, scratch),
            **{p.stem: notebook_text(p) for p in others}}))
    return out


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    root = tmp_path_factory.mktemp("judge-corpus")
    labs = cases(root, set(FAMILIES) - AUTOTEST_ROOTS)
    with ThreadPoolExecutor(2) as pool:  # independent: the stock course and northlab's labs
        stock, ours = pool.submit(stock_scores, root, labs), pool.submit(northlab_scores,
                                                                         root, labs)
        return stock.result(), ours.result()


@pytest.mark.parametrize("root", sorted(set(FAMILIES) - AUTOTEST_ROOTS))
def test_each_cell_scores_as_in_stock_nbgrader(root: str, scores: tuple[dict, dict]) -> None:
    stock, ours = scores
    lab = _lab_id(root)
    learners = ["solution", "release", *(p.stem for p in FAMILIES[root])]
    for learner in learners:
        expected = stock[lab, learner]
        assert expected, (lab, learner)  # autograde graded something
        got = ours[lab, learner]
        for cell, score in expected.items():
            assert got.get(cell) == pytest.approx(score), (root, learner, cell, got)


def test_labs_with_autotest_lines_are_refused_not_graded(tmp_path: Path) -> None:
    """The AUTOTEST families are exactly the notebooks with ``# AUTOTEST`` test lines, and
    a lab made of one is refused in one sentence (it would pass any answer)."""
    holding = set()
    for root in FAMILIES:
        nb = json.loads((APP_FILES / f"{root}.ipynb").read_text(encoding="utf-8"))
        if any("AUTOTEST" in line and line.strip().startswith("#")
               for c in nb["cells"] for line in "".join(c["source"]).splitlines()):
            holding.add(root)
    assert holding == AUTOTEST_ROOTS
    for case in cases(tmp_path, AUTOTEST_ROOTS):
        folder = tmp_path / "labs" / case.id
        (folder / "source").mkdir(parents=True)
        (folder / "source" / f"{case.id}.ipynb").write_text(case.source)
        (folder / "lab.toml").write_text(LAB_TOML.format(id=case.id, points=1))
        with pytest.raises(LabError, match="AUTOTEST"):
            load_lab(folder)


def test_every_notebook_is_compared_or_skipped_for_a_reason() -> None:
    compared = {p.stem for p in GRADEABLE}
    assert compared | set(SKIPPED) == {p.stem for p in NOTEBOOKS}
    assert len(FAMILIES) >= 10 and sum(map(len, FAMILIES.values())) >= 10
