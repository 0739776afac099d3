"""The gamedev sprite-animation lab with the known non-square-frame bug, for reproducers that
wrap the bug in lying objects and must score no better than the plain bug."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from graders.lab import Lab, load_lab
from graders.submissions import Submission, read_files

LAB_DIR = Path(__file__).resolve().parents[2] / "labs" / "gamedev" / "sprite-animation"
BUGGY = '''def _buggy(sheet, frame_w, frame_h):
    height, width = sheet.shape[:2]
    if width % frame_w or height % frame_h:
        raise ValueError("the sheet is not a whole number of frames")
    return [sheet[y:y + frame_w, x:x + frame_w]  # only right for square frames
            for y in range(0, height, frame_w) for x in range(0, width, frame_w)]
'''
PLAIN_BUG = BUGGY + "slice_sheet = _buggy\n"


def sprite_lab() -> tuple[Lab, Callable[[str, str], Submission]]:
    """The lab, and a maker of submissions whose ``slice`` answer cell holds ``code``."""
    lab = load_lab(LAB_DIR)
    source = json.loads(lab.notebook.read_text())

    def submission(name: str, code: str) -> Submission:
        nb = json.loads(json.dumps(source))
        for cell in nb["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "slice":
                cell["source"] = code
        files = {**read_files(lab.source_dir), f"{lab.id}.ipynb": json.dumps(nb).encode()}
        return Submission(name, lab.path, files=files)

    return lab, submission
