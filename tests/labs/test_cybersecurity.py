"""Cybersecurity track: `northlab check` passes, wrong answers lose the right points, the
invented data is reproducible. All grading is real (sandboxed engine, no mocks)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from graders.engine import Grader
from graders.lab import discover_labs, load_lab
from graders.submissions import Submission, read_files

REPO = Path(__file__).resolve().parents[2]
TRACK = REPO / "labs" / "cybersecurity"


def northlab_check(folder: Path, tmp_path: Path) -> tuple[int, ET.Element]:
    """Run the real CLI on ``folder``; return its exit status and JUnit report."""
    junit = tmp_path / "check.xml"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "graders.cli", "check", str(folder), "--junit", str(junit)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert junit.exists(), done.stderr
    return done.returncode, ET.parse(junit).getroot()


def grade(lab_id: str, files: dict[str, bytes]) -> dict[str, bool]:
    """Grade ``files`` as a submission of ``lab_id``: {test name: passed}."""
    lab = load_lab(TRACK / lab_id)
    with Grader(lab, workers=1) as grader:
        record = grader.grade(Submission("mutant", lab.path, files=files))
    assert record["error"] is None, record["error"]
    return {test["name"].split("::")[-1]: test["passed"] for test in record["tests"]}


def mutate(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"mutation target found {text.count(old)} times"
    return text.replace(old, new)


def mutate_notebook(lab_id: str, old: str, new: str) -> dict[str, bytes]:
    """The lab's source files with one piece of its solution code replaced."""
    lab = load_lab(TRACK / lab_id)
    files = read_files(lab.source_dir)
    notebook = json.loads(files[f"{lab_id}.ipynb"])
    sources = ["".join(cell["source"]) for cell in notebook["cells"]]
    assert sum(source.count(old) for source in sources) == 1, f"target not unique in {lab_id}"
    for cell, source in zip(notebook["cells"], sources, strict=True):
        cell["source"] = source.replace(old, new)
    files[f"{lab_id}.ipynb"] = json.dumps(notebook).encode()
    return files


def test_track_goes_from_first_steps_to_capstone():
    labs = [lab for lab in discover_labs(REPO / "labs") if lab.track == "cybersecurity"]
    assert len(labs) >= 4
    assert [lab.order for lab in labs] == list(range(1, len(labs) + 1))
    assert all(lab.credential == "cybersecurity-foundations" for lab in labs)
    assert labs[0].prerequisites == ()
    earlier: set[str] = set()
    for lab in labs:
        assert set(lab.prerequisites) <= earlier, lab.id
        earlier.add(lab.id)
    assert labs[-1].kind == "code" and labs[-1].code_files == ("app.py",)


def test_northlab_check_passes(tmp_path):
    status, report = northlab_check(TRACK, tmp_path)
    failures = [(case.get("classname"), case.get("name"), case.find("failure").get("message"))
                for case in report.iter("testcase") if case.find("failure") is not None]
    assert failures == []
    assert status == 0
    checked = {case.get("classname") for case in report.iter("testcase")
               if case.get("name") == "solution"}
    assert checked == {f"cybersecurity/{lab.id}" for lab in discover_labs(TRACK)}


def test_salted_cracking_must_use_the_salt():
    files = mutate_notebook("password-hashing",
                            'if sha256_hex(record["salt"] + word) == record["sha256"]:',
                            'if sha256_hex(word) == record["sha256"]:')
    passed = grade("password-hashing", files)
    assert passed["test_unsalted_small"] and passed["test_unsalted_leak"]
    assert not passed["test_salted_small"] and not passed["test_salted_leak"]


def test_log_parser_must_handle_invalid_users():
    files = mutate_notebook("auth-log-forensics", "(?P<invalid>invalid user )?",
                            "(?P<invalid>never matches )?")
    passed = grade("auth-log-forensics", files)
    assert passed["test_parse_visible"] and passed["test_count_small"]
    assert not passed["test_parse_hidden"] and not passed["test_count_log"]


def test_key_length_must_be_the_smallest_good_one():
    files = mutate_notebook(
        "cipher-breaking",
        "return next(i + 1 for i, value in enumerate(averages) if value >= 0.9 * best)",
        "return averages.index(best) + 1")
    passed = grade("cipher-breaking", files)
    assert passed["test_break_caesar_hidden"] and passed["test_ic_visible"]
    assert not passed["test_break_vigenere_hidden"]


def sql_lab_files(app_source: str) -> dict[str, bytes]:
    return {"app.py": app_source.encode()}


SQL_SOLUTION = (TRACK / "sql-injection" / "solution" / "app.py").read_text(encoding="utf-8")
SQL_STARTER = (TRACK / "sql-injection" / "source" / "app.py").read_text(encoding="utf-8")
NORMAL_USE = {"test_search_still_works", "test_sort_still_works", "test_login_still_works",
              "test_loans_still_work", "test_return_still_works"}


def test_sql_starter_keeps_normal_use_only():
    passed = grade("sql-injection", sql_lab_files(SQL_STARTER))
    assert {name for name, ok in passed.items() if ok} == NORMAL_USE


def test_sql_stripping_quotes_breaks_real_names():
    stripped = mutate(SQL_SOLUTION, '    name = params.get("name", "")\n',
                      '    name = params.get("name", "").replace("\'", "")\n')
    passed = grade("sql-injection", sql_lab_files(stripped))
    assert passed["test_login_bypass_blocked"]
    assert not passed["test_apostrophes_work"]


def test_sql_sort_column_needs_an_allow_list():
    open_sort = mutate(SQL_SOLUTION, "    if sort not in SORT_COLUMNS:", "    if False:")
    open_sort = mutate(open_sort, 'f"ORDER BY {SORT_COLUMNS[sort]}"',
                       'f"ORDER BY {SORT_COLUMNS.get(sort, sort)}"')
    passed = grade("sql-injection", sql_lab_files(open_sort))
    assert passed["test_search_union_blocked"] and passed["test_login_bypass_blocked"]
    assert not passed["test_sort_allow_list"]


@pytest.mark.parametrize("lab_id, outputs", [
    ("password-hashing", ["source/data/wordlist.txt", "source/data/leak_unsalted.csv",
                          "source/data/leak_salted.csv"]),
    ("auth-log-forensics", ["source/data/auth.log"]),
    ("cipher-breaking", ["source/data/letter_frequencies.json", "source/data/messages.json"]),
])
def test_invented_data_is_reproducible(tmp_path, lab_id, outputs):
    shutil.copy(TRACK / lab_id / "make_data.py", tmp_path / "make_data.py")
    subprocess.run([sys.executable, "make_data.py"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=60)
    for name in outputs:
        assert (tmp_path / name).read_bytes() == (TRACK / lab_id / name).read_bytes(), name


def test_log_uses_documentation_and_private_addresses_only():
    import ipaddress
    import re

    text = (TRACK / "auth-log-forensics" / "source" / "data" / "auth.log").read_text()
    documentation = [ipaddress.ip_network(n) for n in
                     ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
    for address in set(re.findall(r"\d+\.\d+\.\d+\.\d+", text)):
        ip = ipaddress.ip_address(address)
        assert ip.is_private or any(ip in net for net in documentation), address
