"""The learner's submitted files, as the grading parent read them, for the lab's tests.

The parent reads a submission defensively (:mod:`graders.submissions`: no symlinks, size,
count and depth caps) and sends the judge child the same files it sends the worker. The
judge writes them into a read-only folder of its own scratch, distinct from its copy of the
lab (where tests run, so their relative paths still read the lab's files), and names it in
:data:`ENVIRONMENT`. A test reads the learner's folders and spreadsheets there, with the
lab's own code, never through values the worker reports (design rule 8).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from graders.sandbox.child import safe_relpath
from graders.submissions import MAX_ENTRIES, MAX_FILES

#: the variable naming the folder; unset outside the grader (then: the notebook's folder)
ENVIRONMENT = "NORTHLAB_LEARNER_FILES"
LAB_IGNORED = shutil.ignore_patterns("*.ipynb", ".*", "__pycache__")


def materialise(folder: Path, files: Any, buffers: list[bytes],
                lab_source: Path | None) -> Path:
    """Write the learner's ``files`` (``[name, buffer index]`` pairs) into ``folder``, after
    the lab's released files when ``lab_source`` is given (notebook labs: the lab's files
    win, as in the worker's copy and nbgrader's autograde folder). Only regular files and
    folders are made, at most :data:`MAX_FILES` files and :data:`MAX_ENTRIES` folders; a
    learner file that clashes with the lab's is left out. Everything ends read-only."""
    folder.mkdir(parents=True)
    if lab_source is not None and lab_source.is_dir():
        shutil.copytree(lab_source, folder, symlinks=False, ignore=LAB_IGNORED,
                        dirs_exist_ok=True)
    made: set[Path] = set()
    for entry in (files if type(files) is list else [])[:MAX_FILES]:
        rel = safe_relpath(entry[0]) if type(entry) is list and len(entry) == 2 else None
        if rel is None or type(entry[1]) is not int or not 0 <= entry[1] < len(buffers):
            continue
        target = folder.joinpath(*rel.parts)
        parents = set(target.relative_to(folder).parents)
        if len(made | parents) > MAX_ENTRIES:
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except OSError:  # the lab's file (or folder) of that name wins
            continue
        made |= parents
        with os.fdopen(fd, "wb") as out:
            out.write(buffers[entry[1]])
    for root, dirs, names in os.walk(folder):
        for name in names:
            os.chmod(os.path.join(root, name), 0o444)
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o555)
    os.chmod(folder, 0o555)
    return folder
