"""``northlab check``: every lab's solution gets full marks, its release no more than the
floor, its metadata is valid (points add up), and (notebook labs) no rebinding of the lab's
own names, and no stubbed answers (empty data, first argument), scores more than the release
(:mod:`graders.tamper`).

Translations: a lab that declares ``languages`` must have its title, summary and every
test's feedback in each (errors); a lab that does not is warned about the program's
languages (English, French) it lacks, and passes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import nbformat

from graders.engine import Grader
from graders.lab import PROGRAM_LANGUAGES, Lab, LabError, lab_dirs, load_lab
from graders.notebooks import read_source
from graders.release import release_notebook
from graders.sandbox import Sandbox
from graders.submissions import Submission, read_files
from graders.tamper import tamper_cohort, tamper_problems, trusting_tests


@dataclass
class LabReport:
    """Outcome of checking one lab: a list of (check name, problem or None), and warnings
    (missing translations of a lab that does not declare its languages)."""

    path: Path
    lab: Lab | None = None
    checks: list[tuple[str, str | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(problem is None for _, problem in self.checks)

    @property
    def name(self) -> str:
        return f"{self.lab.track}/{self.lab.id}" if self.lab else str(self.path)


def _missing_languages(text: object, languages: tuple[str, ...]) -> list[str]:
    return [lang for lang in languages if not (
        isinstance(text, dict) and isinstance(text.get(lang), str) and text[lang].strip())]


def translation_gaps(lab: Lab, feedback: dict[str, object]) -> list[str]:
    """The lab's title, summary and test feedback (test name -> hint) that lack one of the
    declared languages, or, undeclared, one of :data:`PROGRAM_LANGUAGES`."""
    languages = lab.languages or PROGRAM_LANGUAGES
    gaps = [f"{what} has no {', '.join(missing)} text" for what, text in
            (("title", lab.title), ("summary", lab.summary))
            if (missing := _missing_languages(text, languages))]
    marker = "@pytest.mark.feedback(" + ", ".join(f"{lang}=..." for lang in languages) + ")"
    lacking = [name for name, hint in feedback.items() if _missing_languages(hint, languages)]
    if lacking and lab.kind == "code":
        gaps.append(f"tests without {marker}: {', '.join(lacking)}")
    gaps += [f"test cell {name} needs northlab feedback in "
             f"{' and '.join(_missing_languages(feedback[name], languages))}"
             for name in lacking if lab.kind == "notebook"]
    return gaps


def record_translations(report: LabReport, lab: Lab, feedback: dict[str, object]) -> None:
    """Add the ``translations`` check: gaps are problems if the lab declares its
    languages, warnings otherwise."""
    gaps = translation_gaps(lab, feedback)
    if lab.languages:
        report.checks.append(("translations", "; ".join(gaps) or None))
    else:
        report.warnings += gaps
        report.checks.append(("translations", None))


def metadata_problems(lab: Lab) -> list[str]:
    """Points of a notebook lab's graded cells (tests, manually graded answers, tasks: every
    notebook's, as nbgrader's maximum score), and tests that trust rebindable names."""
    problems = []
    if lab.kind == "notebook":
        sources = [read_source(lab.notebook_path(name)) for name in lab.notebook_names]
        total = sum(source.max_score + sum(part.points for part in source.manual.values())
                    for source in sources)
        if not any(source.tests or source.manual for source in sources):
            problems.append("the notebooks have no graded cells")
        if abs(total - lab.points) > 1e-9:
            problems.append(f"graded cells add up to {total:g} points, lab.toml says "
                            f"{lab.points:g}")
        problems += trusting_tests(lab)
    return problems


def feedback_by_test(lab: Lab) -> dict[str, dict[str, str]]:
    """Test cell (named with its notebook when the lab has several) -> its feedback."""
    hints = {}
    for name in lab.notebook_names:
        for test in read_source(lab.notebook_path(name)).tests.values():
            hints[f"{test.id} ({name}.ipynb)" if lab.named_notebooks else test.id] = \
                test.feedback
    return hints


def _record_problems(lab: Lab, record: dict, what: str, full: bool) -> str | None:
    if record["error"] is not None:
        return f"{what} could not be graded: {record['error']['message']['en']}"
    if lab.kind == "code":
        if abs(record["max_score"] - lab.points) > 1e-9:
            return f"grader tests add up to {record['max_score']:g} points, lab.toml says " \
                   f"{lab.points:g}"
        for test in record["tests"]:
            if test["name"] != "sandbox" and test["max_points"] <= 0:
                return f"{test['name']} has no @pytest.mark.points(n)"
    failed = [t["name"] for t in record["tests"] if not t["passed"] and not t.get("pending")]
    pending = record.get("pending_points", 0)  # manually graded parts: a person's to grade
    if full and record["score"] < lab.points - pending - 1e-9:
        return f"{what} scored {record['score']:g}/{lab.points:g}" + (
            f" ({pending:g} awaiting grading)" if pending else "") + \
            f"; failing: {', '.join(failed)}"
    if not full and record["score"] > lab.floor + 1e-9:
        return f"{what} scored {record['score']:g}, above the floor {lab.floor:g}"
    return None


def submissions_for(lab: Lab) -> tuple[Submission, Submission]:
    """(instructor solution, blank release) as submissions. A notebook lab whose learners
    make or fill files (a folder tree, a spreadsheet) keeps the finished ones in
    ``solution/``: each of its top-level files or folders replaces the source's in the
    solution submission."""
    if lab.kind == "code":
        solution = read_files(lab.solution_dir)
        starter = read_files(lab.source_dir)
    else:
        starter = read_files(lab.source_dir)
        solution = dict(starter)
        if lab.solution_dir.is_dir():  # the finished files a learner makes or fills
            finished = read_files(lab.solution_dir)
            replaced = {name.split("/")[0] for name in finished}
            solution = {name: data for name, data in starter.items()
                        if name.split("/")[0] not in replaced} | finished
        for name in lab.notebook_names:
            starter[f"{name}.ipynb"] = nbformat.writes(
                release_notebook(lab.notebook_path(name))).encode()
    return (Submission("solution", lab.solution_dir, files=solution),
            Submission("release", lab.source_dir, files=starter))


def check_lab(path: Path, *, sandbox: Sandbox | None = None,
              compare: bool = False) -> LabReport:
    report = LabReport(path)
    try:
        report.lab = lab = load_lab(path)
        problems = metadata_problems(lab)
        hints = feedback_by_test(lab)
    except (LabError, ValueError, OSError) as exc:
        report.checks.append(("metadata", str(exc)))
        return report
    report.checks.append(("metadata", "; ".join(problems) or None))
    if lab.kind == "notebook":
        record_translations(report, lab, hints)
    try:
        solution, release = submissions_for(lab)
        tampered = tamper_cohort(lab, solution.files)
        with Grader(lab, workers=2 if tampered else 1, sandbox=sandbox,
                    keep_outcomes=True) as grader:
            solved, blank, *rest = grader.grade_all(
                [solution, release, *(sub for _, _, sub in tampered.values())])
        report.checks.append(("solution", _record_problems(lab, solved, "the solution", True)))
        report.checks.append(("release", _record_problems(lab, blank, "the release", False)))
        if tampered:
            problems = tamper_problems(tampered, {r["learner"]: r for r in rest},
                                       blank["score"])
            report.checks.append(("tamper", "; ".join(problems[:5]) or None))
        if lab.kind == "code":
            judged = (grader.outcomes or {}).get("solution")
            tests = judged.tests if judged is not None and judged.tests else []
            record_translations(report, lab,
                                {str(t.get("id")): t.get("feedback") for t in tests})
        if compare and lab.kind == "notebook":
            from graders.compare import compare_with_nbgrader

            differences = compare_with_nbgrader(lab, sandbox=sandbox)
            report.checks.append(("same-as-nbgrader", "; ".join(differences) or None))
    except Exception as exc:  # report the lab as failing, keep checking the others
        report.checks.append(("grading", f"{type(exc).__name__}: {exc}"))
    return report


def check_labs(folders: Path | Iterable[Path], *, sandbox: Sandbox | None = None,
               progress: bool = False, compare: bool = False) -> list[LabReport]:
    """Check every lab under one folder or several (a lab reached twice is checked once)."""
    if isinstance(folders, (str, Path)):
        folders = [folders]
    paths: list[Path] = []
    seen: set[Path] = set()
    for folder in folders:
        for path in lab_dirs(Path(folder)):
            if path.resolve() not in seen:
                seen.add(path.resolve())
                paths.append(path)
    if progress:
        from tqdm import tqdm
        return [check_lab(p, sandbox=sandbox, compare=compare)
                for p in tqdm(paths, desc="checking labs", unit="lab")]
    return [check_lab(p, sandbox=sandbox, compare=compare) for p in paths]


def junit_xml(reports: list[LabReport]) -> str:
    suite = ET.Element("testsuite", name="northlab-check",
                       tests=str(sum(len(r.checks) for r in reports)),
                       failures=str(sum(1 for r in reports for _, p in r.checks if p)))
    for report in reports:
        for name, problem in report.checks:
            case = ET.SubElement(suite, "testcase", classname=report.name, name=name)
            if problem:
                ET.SubElement(case, "failure", message=problem).text = problem
            if name == "translations" and report.warnings:
                ET.SubElement(case, "system-out").text = "\n".join(
                    f"warning: {text}" for text in report.warnings)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)
