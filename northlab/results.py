"""The grade result record: the one format that leaves the grader.

Services (credentials, gradebook) read results through :func:`load_result` /
:func:`validate_result`; nothing else crosses from grading to them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_PATH = Path(__file__).with_name("result.schema.json")
SCHEMA_ID = "northlab.result/1"


class InvalidResult(ValueError):
    """A result record that does not match ``result.schema.json``."""


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def validate_result(record: dict[str, Any]) -> dict[str, Any]:
    """Return ``record`` unchanged if it is a valid result, else raise :class:`InvalidResult`."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(record))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InvalidResult(f"invalid result at {where}: {error.message}")
    if record["score"] > record["max_score"] + 1e-9:
        raise InvalidResult("invalid result: score is larger than max_score")
    return record


def load_result(path: Path) -> dict[str, Any]:
    """Read and validate one result JSON file."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidResult(f"cannot read result {path}: {exc}") from exc
    return validate_result(record)


def pending_points(record: dict[str, Any]) -> float:
    """Points a person has not graded yet: ``pending_points``, or the tests marked pending
    if they say more (a record can never look more finished than its tests)."""
    tests = sum(float(t["max_points"]) for t in record["tests"] if t.get("pending"))
    return max(float(record.get("pending_points", 0)), tests)


def has_manual_parts(record: dict[str, Any]) -> bool:
    """Whether ``record`` has parts a person grades (pending or graded)."""
    return pending_points(record) > 0 or any(t.get("manual") for t in record["tests"])
