"""nbgrader's AUTOTEST lines, expanded into test code as ``nbgrader generate_assignment``
expands them (its InstantiateTests preprocessor), from the lab's trusted source only.

A test cell line ``### AUTOTEST expr; expr2`` (``### HASHED AUTOTEST ...`` for hashed
expected values) becomes the asserts of the ``autotests.yml`` templates (``source/`` of the
lab, else the lab's folder, as nbgrader looks in the assignment folder, then the course's):
the type of ``expr`` picks the templates, and each template's value is computed from the
instructor's solution. As in nbgrader, those values come from running the source notebook
(solutions included) in order, so the expanded code is fixed before any learner runs; here
that run is a sandboxed worker of :class:`graders.engine.Grader` (the way ``northlab check``
runs a solution), never a learner's, and never the learner's copy of the notebook. A hashed
line keeps only salted hashes of the expected values in the test code. The expansion is
cached per lab content (memory and ``~/.cache/northlab/autotest``), not redone per
submission.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import nbformat
import yaml

if TYPE_CHECKING:
    from graders.lab import Lab
    from graders.sandbox import Sandbox

DELIMITER, HASHED = "AUTOTEST", "HASHED"  #: nbgrader's defaults
FILENAME = "autotests.yml"
#: kernels nbgrader's InstantiateTests knows (comment "#", quotes stripped from values);
#: northlab's worker runs Python
KERNELS = ("python", "python3")
#: bump when the expansion changes: cached expansions of an older format are not used
FORMAT = "1"
#: marks the probe's report line among what the solution prints
MARK = "\x1enorthlab-autotest "
#: characters of a probe's output brought back (the expected values, as text)
PROBE_CHARS = 512 * 1024
#: characters of another cell's output brought back (enough to say what it raised)
CELL_CHARS = 4000
_MEMORY: dict[str, dict[str, dict[str, str]]] = {}

#: runs in the worker's shell, in the namespace the solution built: the dispatch value picks
#: the templates, and each template's value is computed as nbgrader's kernel shows it (the
#: ``text/plain`` of the result, quotes stripped; None when there is no result)
PROBE = '''\
def __northlab_probe(dispatch, tests):
    import json
    shell = get_ipython()

    def value(code):
        try:
            compiled = compile(code, "<autotest>", "eval")
        except SyntaxError:
            exec(compile(code, "<autotest>", "exec"), shell.user_ns)
            return None
        result = eval(compiled, shell.user_ns)
        if result is None:
            return None
        text = shell.display_formatter.format(result)[0].get("text/plain")
        return None if text is None else text.strip('"').strip("'")

    kind = value(dispatch)
    chosen = kind if kind in tests else "default"
    print(MARK + json.dumps({"kind": chosen, "values": [value(c) for c in tests[chosen]]}))
'''


class AutotestError(ValueError):
    """AUTOTEST lines that cannot be expanded; the message says what to fix."""


def autotest_line(line: str) -> bool:
    """Whether ``line`` is an AUTOTEST line as nbgrader reads it (a comment holding it)."""
    return DELIMITER in line and line.strip()[:1] == "#"


def _render(template: str, **values: Any) -> str:
    return jinja2.Environment(loader=jinja2.BaseLoader()).from_string(template).render(**values)


@dataclass
class Templates:
    """One kernel's part of ``autotests.yml``."""

    dispatch: str
    normalize: str
    check: str
    templates: dict[str, list[dict[str, str]]]
    setup: str | None = None
    hash: str | None = None
    success: str | None = None

    def tests(self, snippet: str, salt: str | None) -> dict[str, tuple[list[str], list[str]]]:
        """type -> (test code, failure messages) for ``snippet``, as nbgrader instantiates
        them (normalized, hashed with ``salt`` when given)."""
        out = {}
        for kind, tests in self.templates.items():
            codes, messages = [], []
            for test in tests:
                messages.append(_render(test["fail"], snippet=snippet).replace('"', '\\"'))
                code = _render(self.normalize, snippet=test["test"])
                if salt is not None:
                    code = _render(self.hash or "", snippet=code, salt=salt)
                codes.append(_render(code, snippet=snippet))
            out[kind] = (codes, messages)
        return out


def templates_file(lab_dir: Path) -> Path | None:
    """The ``autotests.yml`` nbgrader would use: the assignment's, else the course's."""
    for path in (lab_dir / "source" / FILENAME, lab_dir / FILENAME):
        if path.is_file():
            return path
    return None


def load_templates(lab_dir: Path, kernel: str, hashed: bool) -> Templates:
    path = templates_file(lab_dir)
    if path is None:
        raise AutotestError(f"AUTOTEST lines need an {FILENAME} (in source/ or the lab's "
                            "folder), as nbgrader generate_assignment does")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise AutotestError(f"{path.name} cannot be read: {str(exc)[:200]}") from None
    part = data.get(kernel) if isinstance(data, dict) else None
    if not isinstance(part, dict):
        raise AutotestError(f"{path.name} has no section for the notebook's kernel '{kernel}'")
    texts = {key: part.get(key) for key in ("dispatch", "normalize", "check", "setup", "hash",
                                             "success")}
    for key, value in texts.items():
        if value is not None and not isinstance(value, str):
            raise AutotestError(f"{path.name}: '{kernel}.{key}' must be text")
    missing = [key for key in ("dispatch", "normalize", "check") if texts[key] is None]
    if hashed and texts["hash"] is None:
        missing.append("hash")
    if missing:
        raise AutotestError(f"{path.name}: '{kernel}' needs {', '.join(missing)}")
    kinds = part.get("templates")
    if not isinstance(kinds, dict) or "default" not in kinds or not all(
            isinstance(tests, list) and all(
                isinstance(t, dict) and isinstance(t.get("test"), str)
                and isinstance(t.get("fail"), str) for t in tests)
            for tests in kinds.values()):
        raise AutotestError(f"{path.name}: '{kernel}.templates' must map types (with "
                            "'default') to lists of {test, fail}")
    return Templates(templates={str(k): v for k, v in kinds.items()}, **texts)  # type: ignore[arg-type]


def _kernel(nb: nbformat.NotebookNode) -> str:
    return str(nb.metadata.get("kernelspec", {}).get("name", ""))


def _is_grade(cell: nbformat.NotebookNode) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("grade"))


def has_autotests(nb: nbformat.NotebookNode) -> bool:
    """Whether nbgrader would run InstantiateTests on ``nb`` (a code cell mentions it)."""
    return any(cell.cell_type == "code" and DELIMITER in cell.source for cell in nb.cells)


def problems(notebook: Path, lab_dir: Path) -> list[str]:
    """Why the AUTOTEST lines of ``notebook`` cannot be expanded (empty: they can, or there
    are none); checked when the lab loads, without running anything."""
    try:
        if DELIMITER.encode() not in notebook.read_bytes():
            return []
        nb = nbformat.read(str(notebook), as_version=nbformat.NO_CONVERT)
    except Exception:  # noqa: BLE001 - reading the notebook for grading reports it
        return []
    if not has_autotests(nb):
        return []
    kernel = _kernel(nb)
    if kernel not in KERNELS:
        return [f"{notebook.name} uses AUTOTEST lines with kernel '{kernel}': northlab "
                f"expands them for {' and '.join(KERNELS)} kernels"]
    found = []
    for cell in nb.cells:
        lines = [line for line in cell.source.split("\n") if autotest_line(line)] \
            if cell.cell_type == "code" else []
        if lines and not _is_grade(cell):
            found.append(f"{notebook.name} has an AUTOTEST line outside an autograder test "
                         f"cell ({lines[0].strip()[:60]}); nbgrader refuses it too")
        elif lines:
            hashed = any(HASHED in line[:line.find(DELIMITER)] for line in lines)
            try:
                load_templates(lab_dir, kernel, hashed)
            except AutotestError as exc:
                found.append(str(exc))
    return list(dict.fromkeys(found))


@dataclass
class _Probe:
    step: int  #: index of its step in the plan
    tests: dict[str, tuple[list[str], list[str]]]


@dataclass
class _Cell:
    """One expanded cell: its lines, where a probe index stands for that probe's asserts."""

    grade_id: str | None
    parts: list[str | int] = field(default_factory=list)


def generation_plan(nb: nbformat.NotebookNode, spec: Templates
                    ) -> tuple[list[dict[str, Any]], list[_Probe], list[_Cell]]:
    """The steps InstantiateTests runs in its kernel (every code cell in order, split at
    AUTOTEST lines, with a probe per snippet), the probes and the cells to rebuild."""
    steps: list[dict[str, Any]] = []
    probes: list[_Probe] = []
    cells: list[_Cell] = []

    def run(source: str) -> None:
        if source.strip():
            steps.append({"kind": "learner", "source": source, "cell": len(steps),
                          "keep": CELL_CHARS})

    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source:
            continue
        if DELIMITER not in cell.source:
            run(cell.source)
            continue
        salt_int = int(hashlib.sha256((cell.source + str(index)).encode("utf-8")).hexdigest(),
                       16) % 10**6
        rebuilt = _Cell(cell.metadata.get("nbgrader", {}).get("grade_id"))
        pending: list[str] = []
        setup_done = False
        for line in cell.source.split("\n"):
            if not autotest_line(line):
                rebuilt.parts.append(line)
                pending.append(line)
                continue
            run("\n".join(pending))
            pending = []
            if spec.setup is not None and not setup_done:
                rebuilt.parts.append(spec.setup)
                setup_done = True
                run(spec.setup)
            use_hash = HASHED in line[:line.find(DELIMITER)]
            snippets = [snip.strip() for snip in
                        line[line.find(DELIMITER) + len(DELIMITER):].strip(";").split(";")]
            if "" in snippets:
                snippets.remove("")  # nbgrader drops the first empty snippet only
            for snippet in snippets:
                salt = None
                if use_hash:
                    salt_int += 1
                    salt = hex(salt_int)[2:]
                tests = spec.tests(snippet, salt)
                dispatch = _render(spec.dispatch, snippet=snippet)
                steps.append({"kind": "learner", "cell": len(steps), "keep": PROBE_CHARS,
                              "source": PROBE.replace("MARK", repr(MARK)) + "\n" +
                              f"__northlab_probe({dispatch!r}, "
                              f"{ {k: v[0] for k, v in tests.items()}!r})\n"
                              "del __northlab_probe\n"})
                rebuilt.parts.append(len(probes))
                rebuilt.parts.append("")
                probes.append(_Probe(len(steps) - 1, tests))
        if _is_grade(cell) and spec.success is not None:
            rebuilt.parts.append(spec.success)
            pending.append(spec.success)
        run("\n".join(pending))
        cells.append(rebuilt)
    return steps, probes, cells


def _probe_report(outputs: list[dict[str, Any]]) -> dict[str, Any] | None:
    text = "".join(o.get("text", "") for o in outputs
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")
    line = text.rpartition(MARK)[2].split("\n", 1)[0]
    try:
        report = json.loads(line) if MARK in text else None
    except ValueError:
        return None
    return report if isinstance(report, dict) else None


def expand_notebook(nb: nbformat.NotebookNode, spec: Templates,
                    run: Any) -> dict[str, str]:
    """grade_id -> expanded source of each AUTOTEST cell of ``nb``; ``run(steps)`` runs
    the plan and returns its outputs (``[[step, outputs], ...]``)."""
    steps, probes, cells = generation_plan(nb, spec)
    outputs = {item[0]: item[1] for item in run(steps) if type(item) is list and len(item) == 2}
    for produced in outputs.values():
        errors = [o for o in produced if o.get("output_type") == "error"]
        if errors:
            raise AutotestError(f"the solution raised {errors[0]['ename']} "
                                f"({errors[0]['evalue'][:200]}) while the AUTOTEST lines were "
                                "expanded; nbgrader generate_assignment stops there too")
    lines: dict[int, list[str]] = {}
    for number, probe in enumerate(probes):
        report = _probe_report(outputs.get(probe.step, []))
        if report is None or report.get("kind") not in probe.tests:
            raise AutotestError("the AUTOTEST expansion did not finish (a limit of the lab "
                                "stopped the solution?)")
        codes, messages = probe.tests[report["kind"]]
        values = report.get("values")
        if not isinstance(values, list) or len(values) != len(codes):
            raise AutotestError("the AUTOTEST expansion returned malformed values")
        lines[number] = [_render(spec.check, snippet=code, value=value, message=message)
                         for code, value, message in zip(codes, values, messages, strict=True)]
    return {cell.grade_id: "\n".join(line for part in cell.parts for line in (
        lines[part] if isinstance(part, int) else [part]))
        for cell in cells if isinstance(cell.grade_id, str)}


def _content_key(lab: Lab) -> str:
    """A digest of everything the expansion depends on: the lab's source folder (notebooks,
    data the solution reads, autotests.yml), the course-level autotests.yml, nbgrader's and
    this module's versions."""
    import nbgrader

    digest = hashlib.sha256(f"{FORMAT}\0{nbgrader.__version__}\0".encode())
    course = lab.path / FILENAME
    files = sorted(p for p in lab.source_dir.rglob("*") if p.is_file())
    for path in [*files, *([course] if course.is_file() else [])]:
        digest.update(str(path.relative_to(lab.path)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def cache_dir() -> Path | None:
    """This user's private cache folder (None when it is not private: the cached test code
    is trusted)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "northlab" / "autotest"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = folder.stat()
    except OSError:
        return None
    if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return folder


def expansions(lab: Lab, *, sandbox: Sandbox | None = None) -> dict[str, dict[str, str]]:
    """notebook -> grade_id -> expanded test source, for the lab's notebooks with AUTOTEST
    lines (empty when none has); computed once per lab content."""
    paths = {name: lab.notebook_path(name) for name in lab.notebook_names}
    nbs = {name: nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
           for name, path in paths.items() if DELIMITER.encode() in path.read_bytes()}
    nbs = {name: nb for name, nb in nbs.items() if has_autotests(nb)}
    if not nbs:
        return {}
    key = _content_key(lab)
    if key in _MEMORY:
        return _MEMORY[key]
    folder = cache_dir()
    cached = folder / f"{key}.json" if folder is not None else None
    if cached is not None and cached.is_file():
        try:
            result = json.loads(cached.read_text(encoding="utf-8"))
            _MEMORY[key] = result
            return result
        except (OSError, ValueError):
            pass
    result = _generate(lab, nbs, sandbox)
    _MEMORY[key] = result
    if cached is not None:
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(result), encoding="utf-8")
            os.chmod(tmp, 0o600)
            tmp.replace(cached)
        except OSError:  # the cache is optional (a read-only or full home): graded all the same
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
    return result


def _generate(lab: Lab, nbs: dict[str, nbformat.NotebookNode], sandbox: Sandbox | None
              ) -> dict[str, dict[str, str]]:
    from graders.engine import Grader
    from graders.lab import LabError

    result = {}
    with Grader(lab, workers=1, sandbox=sandbox, autotests=False) as grader:
        for name, nb in nbs.items():
            def run(steps: list[dict[str, Any]], name: str = name) -> list[Any]:
                outcome = grader.run_plan("autotest", {}, name, steps)
                if outcome.failure is not None or outcome.wall_hit:
                    raise AutotestError("the solution did not run to the end while the "
                                        "AUTOTEST lines were expanded")
                return outcome.outputs
            hashed = any(HASHED in line[:line.find(DELIMITER)] for cell in nb.cells
                         for line in cell.source.split("\n") if autotest_line(line))
            try:
                spec = load_templates(lab.path, _kernel(nb), hashed)
                result[name] = expand_notebook(nb, spec, run)
            except AutotestError as exc:
                raise LabError(f"{lab.notebook_path(name)}: {exc}") from None
    return result
