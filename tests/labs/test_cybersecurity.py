"""Cybersecurity track: `northlab check` passes, wrong answers lose the right points, the
invented data is reproducible. All grading is real (sandboxed engine, no mocks)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from functools import partial

import labtools
import pytest
from labtools import LABS

from graders.lab import discover_labs

TRACK = LABS / "cybersecurity"
grade = partial(labtools.grade, TRACK)
mutate_notebook = partial(labtools.mutate_notebook, TRACK)


def test_four_labs_with_a_code_capstone():
    labs = sorted(discover_labs(TRACK), key=lambda lab: lab.order)
    assert len(labs) >= 4
    assert labs[-1].kind == "code" and labs[-1].code_files == ("app.py",)


def mutate(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"mutation target found {text.count(old)} times"
    return text.replace(old, new)


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
