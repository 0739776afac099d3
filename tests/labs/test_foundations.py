"""The Digital Foundations track: six weeks of activities that follow the answer-cell
contract, a theme a community edits (rendered into the labs, then `northlab check` proves
the adapted track grades correctly), and whole-track export/import."""

from __future__ import annotations

import ast
import io
import json
import shutil
import tarfile
import tomllib
from pathlib import Path

import pytest
from labtools import LABS, grade, northlab_check
from openpyxl import load_workbook

from graders.adapt import ThemeError, export_track, import_track, load_theme, render_track
from graders.engine import Grader
from graders.lab import discover_labs, load_lab
from graders.submissions import Submission, read_files

TRACK = LABS / "foundations"
ANSWER_TYPES = {"choice", "choices", "text", "number", "file", "folder"}


def notebook(lab_id: str, track: Path = TRACK) -> dict:
    return json.loads((track / lab_id / "source" / f"{lab_id}.ipynb").read_text())


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def answer_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if "answer" in c["metadata"].get("northlab", {})]


def test_six_weeks_one_activity_or_more_each() -> None:
    labs = discover_labs(TRACK)
    weeks = {notebook(lab.id)["metadata"]["northlab"]["activity"]["week"] for lab in labs}
    assert weeks == {1, 2, 3, 4, 5, 6}
    for lab in labs:
        meta = notebook(lab.id)["metadata"]["northlab"]["activity"]
        assert meta["week"] == tomllib.loads((lab.path / "lab.toml").read_text())["week"]
        assert meta["title"] == lab.title


def test_answer_cells_follow_the_contract() -> None:
    """Every answer cell: solution cell, known type, en+fr label, `<field> = <literal>`
    (code) or a manually graded markdown cell (text); every option has en+fr labels."""
    manual = 0
    for lab in discover_labs(TRACK):
        cells = answer_cells(notebook(lab.id))
        assert cells, lab.id
        for cell in cells:
            spec, nbg = cell["metadata"]["northlab"]["answer"], cell["metadata"]["nbgrader"]
            assert nbg["solution"] and spec["type"] in ANSWER_TYPES
            assert spec["label"]["en"].strip() and spec["label"]["fr"].strip()
            for option in spec.get("options", []):
                assert option["label"]["en"].strip() and option["label"]["fr"].strip()
            if cell["cell_type"] == "markdown":
                assert nbg["grade"] and nbg["points"] > 0 and spec["type"] == "text"
                manual += 1
                continue
            (statement,) = ast.parse(source(cell)).body
            assert statement.targets[0].id == spec["field"] == nbg["grade_id"]
            value = ast.literal_eval(statement.value)
            if spec["type"] in ("choice", "choices"):
                allowed = {option["value"] for option in spec["options"]}
                assert set(value if isinstance(value, list) else [value]) <= allowed
    assert manual >= 1  # at least one written reflection, graded by a person


def test_choice_answers_are_checked_by_hidden_tests() -> None:
    """A test that reads a choice answer is hidden: its expected value would give it away."""
    for lab in discover_labs(TRACK):
        nb = notebook(lab.id)
        choices = {c["metadata"]["northlab"]["answer"]["field"] for c in answer_cells(nb)
                   if c["metadata"]["northlab"]["answer"]["type"] in ("choice", "choices")}
        for cell in nb["cells"]:
            text = source(cell)
            if cell["metadata"].get("nbgrader", {}).get("grade") and cell["cell_type"] == "code":
                if any(name in text for name in choices):
                    assert "### BEGIN HIDDEN TESTS" in text, (lab.id, cell["id"])


def test_rendered_labs_match_the_theme(tmp_path: Path) -> None:
    """source/ and solution/ are exactly what `northlab track render` makes from
    template/ and theme.toml (spreadsheets compared cell by cell)."""
    copy = tmp_path / "foundations"
    shutil.copytree(TRACK, copy)
    render_track(copy)
    for lab in discover_labs(TRACK):
        for part in ("source", "solution"):
            committed = read_files(lab.path / part) if (lab.path / part).is_dir() else {}
            rendered = read_files(copy / lab.id / part) if (copy / lab.id / part).is_dir() else {}
            assert sorted(committed) == sorted(rendered), (lab.id, part)
            for name, data in committed.items():
                if name.endswith(".xlsx"):
                    assert cells_of(data) == cells_of(rendered[name]), name
                else:
                    assert data == rendered[name], (lab.id, part, name)


def cells_of(data: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_theme_is_complete_in_english_and_french_and_never_guesses_inuktitut() -> None:
    theme = load_theme(TRACK)
    assert theme["community.name"] and theme["community.name.fr"]
    poster = TRACK / theme["images.derby_poster"]
    shipped = TRACK / "files-and-folders" / "source" / "images" / poster.name
    assert shipped.read_bytes() == poster.read_bytes()  # a themed image reaches learners
    assert f"](images/{poster.name})" in json.dumps(notebook("files-and-folders"))
    texts = {key for key in theme if not key.endswith((".fr", ".iu"))
             and not key.startswith("images.")}
    assert all(theme[key].strip() for key in texts)
    inuktitut = {key: text for key, text in theme.items() if key.endswith(".iu") and text}
    assert set(inuktitut) <= {"glossary.computer.iu"}  # only checked words
    assert all(any(0x1400 <= ord(ch) <= 0x167F for ch in t) for t in inuktitut.values())


def test_a_wrong_answer_loses_its_points() -> None:
    """Marking every message of the phishing activity finds every trap but loses both
    sorting tests (guessing "all" earns nothing)."""
    lab = load_lab(TRACK / "spotting-phishing")
    files = read_files(lab.source_dir)
    nb = json.loads(files["spotting-phishing.ipynb"])
    for cell in answer_cells(nb):
        if cell["metadata"]["northlab"]["answer"]["field"] == "phishing_messages":
            cell["source"] = f"phishing_messages = {list('ABCDEFGH')!r}"
    files["spotting-phishing.ipynb"] = json.dumps(nb).encode()
    passed = grade(TRACK, "spotting-phishing", files)
    assert not passed["test_found_traps"] and not passed["test_all_traps"]
    assert passed["test_clue_d"] and passed["test_after_click"]


def adapt(track: Path) -> None:
    """What a community does: new names in theme.toml (quotes and apostrophes included)."""
    theme = (track / "theme.toml").read_text()
    theme = theme.replace("Northstar Bay", "Sample Harbour")
    theme = theme.replace("Baie-de-l'Étoile-du-Nord", "Port-d'Exemple")
    theme = theme.replace('phone = "867-555-0142"', 'phone = "867-555-0177"')
    theme = theme.replace('domain = "northstarbay.example"', 'domain = "sample-harbour.example"')
    theme = theme.replace('"Monday, May 19"', '"Tuesday, \\"June\\" 3"')
    (track / "theme.toml").write_text(theme)


def test_an_adapted_track_renders_and_still_grades(tmp_path: Path) -> None:
    labs = tmp_path / "labs"
    copy = labs / "foundations"
    shutil.copytree(TRACK, copy)
    adapt(copy)
    render_track(copy)
    text = json.dumps(notebook("keyboard-and-text", copy), ensure_ascii=False)
    assert "Sample Harbour" in text and "867-555-0177" in text and "Northstar" not in text
    answers = {c["metadata"]["northlab"]["answer"]["field"]: source(c)
               for c in answer_cells(notebook("keyboard-and-text", copy))}
    assert 'Tuesday, "June" 3' in ast.literal_eval(answers["notice_en"].split(" = ", 1)[1])
    status, report = northlab_check(copy / "keyboard-and-text", tmp_path)
    failures = [case.find("failure").get("message") for case in report.iter("testcase")
                if case.find("failure") is not None]
    assert (status, failures) == (0, [])
    # the original solution does not fit the adapted track: its notice names the old place
    original = read_files(TRACK / "keyboard-and-text" / "source")
    passed = grade(copy, "keyboard-and-text", original)
    assert not passed["test_en_exact"] and not passed["test_en_contacts"]


def test_export_then_import_moves_the_whole_track(tmp_path: Path) -> None:
    archive = export_track(TRACK, tmp_path / "ours.tar.gz")
    with tarfile.open(archive) as opened:
        names = set(opened.getnames())
    for name in ("theme.toml", "achievement.toml", "README.md", "images/derby-poster.png",
                 "event-budget/template/source/budget-template.xlsx",
                 "files-and-folders/lab.toml"):
        assert f"foundations/{name}" in names
    labs = tmp_path / "labs"
    track, target = import_track(archive, labs)
    assert (track, target) == ("foundations", labs / "foundations")
    assert {lab.id for lab in discover_labs(target)} == {lab.id for lab in discover_labs(TRACK)}
    with pytest.raises(ThemeError, match="--replace"):
        import_track(archive, labs)
    folder = export_track(TRACK, tmp_path / "folder")
    adapt(folder)
    import_track(folder, labs, replace=True)
    assert "Sample Harbour" in (target / "files-and-folders" / "source" /
                                "files-and-folders.ipynb").read_text()


def hostile_archive(path: Path, name: str, data: bytes = b"x") -> Path:
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("bad", ["../escape.txt", "/etc/evil", "foundations/../../x"])
def test_import_refuses_paths_outside_the_track_and_changes_nothing(tmp_path: Path,
                                                                    bad: str) -> None:
    labs = tmp_path / "labs"
    shutil.copytree(TRACK, labs / "foundations")
    before = read_files(labs / "foundations")
    with pytest.raises(ThemeError, match="refusing"):
        import_track(hostile_archive(tmp_path / "bad.tar.gz", bad), labs, replace=True)
    assert read_files(labs / "foundations") == before
    assert not (tmp_path / "escape.txt").exists()
    assert [p.name for p in labs.iterdir()] == ["foundations"]


def test_import_of_a_broken_track_changes_nothing(tmp_path: Path) -> None:
    labs = tmp_path / "labs"
    shutil.copytree(TRACK, labs / "foundations")
    broken = export_track(TRACK, tmp_path / "broken")
    (broken / "theme.toml").write_text((broken / "theme.toml").read_text().replace(
        "[people]", "[persons]"))  # templates now name keys the theme lacks
    before = read_files(labs / "foundations")
    with pytest.raises(ThemeError, match=r"template/source/.*\{\{ people\.\w+ \}\} is not in"):
        import_track(broken, labs, replace=True)
    assert read_files(labs / "foundations") == before


@pytest.mark.parametrize(("line", "message"), [
    ('phone = "{{ community.domain }}"', "may not contain"),
    ('phone = "../../etc/passwd"\n[images]\nx = "../../etc/passwd"', "inside the track"),
    ('name = { en = "Sample Harbour" }', "English and French|en and fr"),
])
def test_a_bad_theme_is_refused_with_its_key(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "theme.toml").write_text(f"[community]\n{line}\n")
    with pytest.raises(ThemeError, match=message):
        load_theme(tmp_path)


def test_track_cli_gives_one_sentence_errors(tmp_path: Path) -> None:
    from northlab.cli import main

    assert main(["track", "import", str(tmp_path / "missing.tar.gz"),
                 "--labs", str(tmp_path)]) == 2
    assert main(["track", "export", "foundations", "--labs", str(LABS),
                 "--out", str(tmp_path / "x.tar.gz")]) == 0
    assert (tmp_path / "x.tar.gz").is_file()


def filled_budget(totals: list[object], grand: str, left: str) -> bytes:
    """The budget template filled in as a learner would (numbers or formulas)."""
    book = load_workbook(TRACK / "event-budget" / "source" / "budget-template.xlsx")
    sheet = book.worksheets[0]
    for row, total in enumerate(totals, start=3):
        sheet[f"D{row}"] = total
    sheet["D10"], sheet["D12"] = grand, left
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_budget_is_read_from_the_learners_own_spreadsheet() -> None:
    """Typed numbers and formulas with absolute references both count; a wrong line loses
    its points and the grand total built on it; the template left as is earns nothing."""
    files = read_files(TRACK / "event-budget" / "source")
    nb = json.loads(files["event-budget.ipynb"])
    answers = {"budget_file": "feast-budget.xlsx", "left_over": 145.77,
               "enough_for_prizes": "no"}
    for cell in answer_cells(nb):
        field = cell["metadata"]["northlab"]["answer"]["field"]
        cell["source"] = f"{field} = {answers[field]!r}"
    files["event-budget.ipynb"] = json.dumps(nb).encode()
    right = [65, 26.25, "=B5*C5", "19.00", "=$B$7*$C$7", 29]
    files["feast-budget.xlsx"] = filled_budget(right, "=SUM($D$3:$D$8)", "=D11-D10")
    assert points(files) == {"test_line_totals": 3, "test_grand_total": 2,
                             "test_left_over_cell": 1, "test_left_over_answer": 2,
                             "test_prizes": 2}
    files["feast-budget.xlsx"] = filled_budget([*right[:5], 30], "=SUM(D3:D8)", "145.77")
    scored = points(files)
    assert (scored["test_line_totals"], scored["test_grand_total"]) == (2.5, 0)
    assert scored["test_left_over_cell"] == 1 and scored["test_prizes"] == 2
    files["feast-budget.xlsx"] = files["budget-template.xlsx"]
    scored = points(files)
    assert scored["test_line_totals"] == scored["test_grand_total"] == 0
    assert scored["test_left_over_cell"] == 0


def points(files: dict[str, bytes]) -> dict[str, float]:
    """Points per test of ``files`` graded as an event-budget submission."""
    lab = load_lab(TRACK / "event-budget")
    with Grader(lab, workers=1) as grader:
        record = grader.grade(Submission("learner", lab.path, files=files))
    assert record["error"] is None, record["error"]
    return {test["name"].split("::")[-1]: test["points"] for test in record["tests"]}
