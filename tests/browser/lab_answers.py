"""The long answers of a lab, written into a learner's fetched notebook (the one step the
journeys do not type): the solution of every answer cell of the lab's nbgrader source."""

from __future__ import annotations

import json
import re

import requests

from hub.config.settings import Settings

MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*\n", re.MULTILINE)


def solutions(settings: Settings, track: str, lab: str) -> dict[str, str]:
    """grade_id -> the solution source (markers removed) of each answer cell."""
    source = settings.labs_root / track / lab / "source" / f"{lab}.ipynb"
    found = {}
    for cell in json.loads(source.read_text(encoding="utf-8"))["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            found[meta["grade_id"]] = MARKERS.sub("", "".join(cell["source"]))
    return found


def answer(server: str, token: str, path: str, answers: dict[str, str]) -> None:
    """Put ``answers`` into the answer cells of notebook ``path`` through the contents API
    of the learner's server (``server`` = ``<hub>/user/<name>``)."""
    url = f"{server}/api/contents/{path}"
    headers = {"Authorization": f"token {token}"}
    response = requests.get(url, headers=headers, timeout=60)
    response.raise_for_status()
    notebook = response.json()["content"]
    written = 0
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
            written += 1
    assert written == len(answers), f"{path}: {written} of {len(answers)} answer cells found"
    requests.put(url, headers=headers, timeout=60,
                 json={"type": "notebook", "format": "json", "content": notebook}
                 ).raise_for_status()
