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
import os
import re
import shutil
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from graders import autotest
from graders.autotest import autotest_line, expansions
from graders.lab import LabError, load_lab

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_kit import (  # noqa: E402
    APP_FILES,
    COURSE,
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
#: when the assignment is generated, northlab when the lab's grader starts (graders/autotest.py)
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
def scores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, dict, Path]]:
    """(stock scores, northlab scores, the folder holding both runs)."""
    root = tmp_path_factory.mktemp("judge-corpus")
    labs = cases(root, set(FAMILIES))
    cache = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(root / "cache")  # expansions made here, not reused
    try:
        with ThreadPoolExecutor(2) as pool:  # independent: the stock course and our labs
            stock, ours = pool.submit(stock_scores, root, labs), pool.submit(northlab_scores,
                                                                             root, labs)
            yield stock.result(), ours.result(), root
    finally:
        if cache is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = cache


@pytest.mark.parametrize("root", sorted(FAMILIES))
def test_each_cell_scores_as_in_stock_nbgrader(root: str, scores: tuple[dict, dict, Path]
                                               ) -> None:
    stock, ours, _ = scores
    lab = _lab_id(root)
    learners = ["solution", "release", *(p.stem for p in FAMILIES[root])]
    for learner in learners:
        expected = stock[lab, learner]
        assert expected, (lab, learner)  # autograde graded something
        got = ours[lab, learner]
        for cell, score in expected.items():
            assert got.get(cell) == pytest.approx(score), (root, learner, cell, got)


def test_autotest_families_are_the_notebooks_with_autotest_lines() -> None:
    holding = set()
    for root in FAMILIES:
        nb = json.loads((APP_FILES / f"{root}.ipynb").read_text(encoding="utf-8"))
        if any(autotest_line(line) for c in nb["cells"]
               for line in "".join(c["source"]).splitlines()):
            holding.add(root)
    assert holding == AUTOTEST_ROOTS


@pytest.mark.parametrize("root", sorted(AUTOTEST_ROOTS))
def test_autotest_lines_expand_to_the_test_code_of_generate_assignment(
        root: str, scores: tuple[dict, dict, Path]) -> None:
    """The judge runs the very test code stock nbgrader stored for the assignment (its
    gradebook's source cells, which autograde runs), computed from the solution."""
    _, _, folder = scores
    lab = load_lab(folder / "labs" / _lab_id(root))
    ours = expansions(lab)[lab.id]
    assert ours
    with Gradebook(f"sqlite:///{folder / 'course' / 'gradebook.db'}", COURSE) as gb:
        for grade_id, source in ours.items():
            stock = gb.find_source_cell(grade_id, lab.id, lab.id).source
            assert source == stock, (grade_id, source, stock)
    if root == "autotest-hashed":  # hashed lines hold no expected value a learner could read
        asserts = [line for source in ours.values() for line in source.splitlines()
                   if line.startswith("assert ")]
        assert asserts and all(re.search(r'hexdigest\(\) == "[0-9a-f]{40}"', line)
                               for line in asserts)


def test_the_expansion_is_made_once_per_lab_content(scores: tuple[dict, dict, Path],
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    """Graders started later (the warm service, the next autograde) read the expansion from
    the cache: no solution run per grader, let alone per submission."""
    _, _, folder = scores
    made = expansions(load_lab(folder / "labs" / _lab_id("autotest-multi")))
    lab = load_lab(shutil.copytree(folder / "labs" / _lab_id("autotest-multi"),
                                   tmp_path / _lab_id("autotest-multi")))

    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the solution ran again")

    monkeypatch.setattr(autotest, "_MEMORY", {})
    monkeypatch.setattr(autotest, "_generate", no_run)
    assert expansions(lab) == made  # from the cache folder
    (lab.source_dir / "autotests.yml").write_text(
        (lab.source_dir / "autotests.yml").read_text() + "\n# changed\n")
    with pytest.raises(AssertionError, match="ran again"):
        expansions(lab)  # other content: expanded anew


def test_a_lab_whose_autotest_lines_cannot_expand_is_refused(tmp_path: Path) -> None:
    """No autotests.yml, or none for the notebook's kernel: one sentence naming the fix
    (nbgrader's generate_assignment fails there too), never a lab that passes anything."""
    (case,) = cases(tmp_path, {"autotest-simple"})
    folder = tmp_path / "labs" / case.id
    (folder / "source").mkdir(parents=True)
    (folder / "source" / f"{case.id}.ipynb").write_text(case.source)
    (folder / "lab.toml").write_text(LAB_TOML.format(id=case.id, points=1))
    with pytest.raises(LabError, match="AUTOTEST lines need an autotests.yml"):
        load_lab(folder)
    (folder / "autotests.yml").write_text("ir:\n  dispatch: x\n")
    with pytest.raises(LabError, match="no section for the notebook's kernel 'python3'"):
        load_lab(folder)


def test_every_notebook_is_compared_or_skipped_for_a_reason() -> None:
    compared = {p.stem for p in GRADEABLE}
    assert compared | set(SKIPPED) == {p.stem for p in NOTEBOOKS}
    assert len(FAMILIES) >= 10 and sum(map(len, FAMILIES.values())) >= 10
