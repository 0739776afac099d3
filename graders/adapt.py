"""Adapting a track to a community: its theme, and moving a whole track as one archive.

A track folder (``labs/<track>/``) may hold a ``theme.toml``: place names, invented people
and organisations, examples, a glossary and images that a community edits without touching
code. Each of its labs then keeps its editable text in ``<lab>/template/source/`` (and, for
activities whose learners make or fill files, ``<lab>/template/solution/``: the finished
files). :func:`render_track` writes ``<lab>/source/`` and ``<lab>/solution/`` from them,
replacing every ``{{ key }}`` (English) or ``{{ key.fr }}`` (another language) with the
theme's text and ``{{ images.<name> }}`` with the path of a copied image. The grader,
nbgrader's release and the learner all read the rendered ``source/``, so they see the same
text; ``northlab check`` then proves the adapted track still grades correctly.

``northlab track export`` packs a track folder (activities, data, templates, theme,
glossary, images, achievement, catalogues) into one ``.tar.gz`` or folder; ``northlab
track import`` unpacks one, renders it and validates every lab before it replaces the
track's folder (a bad archive changes nothing). Nothing in an archive is executed.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import re
import shutil
import tarfile
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from graders.lab import TRACKS, LabError, discover_labs

THEME_FILE = "theme.toml"
TEMPLATE = "template"
RENDERED = ("source", "solution")
PLACEHOLDER = re.compile(
    r"\{\{\s*([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*)\s*(\|\s*py\s*)?\}\}")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
REQUIRED_LANGUAGES = ("en", "fr")
TEXT_SUFFIXES = {".md", ".txt", ".csv", ".json", ".toml", ".html", ".py"}
MAX_ARCHIVE_BYTES = 200 * 2**20
MAX_ARCHIVE_MEMBERS = 5000


class ThemeError(ValueError):
    """A theme, template or archive that cannot be used; the message says what to fix."""


def load_theme(track_dir: Path) -> dict[str, str]:
    """The track's ``theme.toml`` flattened to ``{"places.community": "...",
    "places.community.fr": "...", "images.poster": "images/poster.png", ...}``.

    A table whose keys are all language codes is one text: its English is the bare key,
    other languages get ``.<lang>``. English and French are required; another language may
    be left empty until a translator has checked it (never a guessed translation)."""
    path = Path(track_dir) / THEME_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ThemeError(f"{path}: cannot read: {exc}") from None
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            flat[prefix] = str(value)
        elif isinstance(value, dict) and value and all(LANGUAGE.match(k) for k in value):
            for language in REQUIRED_LANGUAGES:
                if not isinstance(value.get(language), str) or not value[language].strip():
                    raise ThemeError(f"{path}: {prefix} needs text in "
                                     f"{' and '.join(REQUIRED_LANGUAGES)}")
            for language, text in value.items():
                if not isinstance(text, str):
                    raise ThemeError(f"{path}: {prefix}.{language} must be text")
                flat[prefix if language == "en" else f"{prefix}.{language}"] = text.strip()
        elif isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        else:
            raise ThemeError(f"{path}: {prefix} must be text, a number or a table")

    walk("", data)
    for key, text in flat.items():
        if "{{" in text or "}}" in text:
            raise ThemeError(f"{path}: {key} may not contain {{{{ or }}}}")
    for key, image in flat.items():
        if key.startswith("images.") and not _safe_relative(image):
            raise ThemeError(f"{path}: {key} must be a path inside the track folder")
    return flat


def _safe_relative(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts


def substitute(text: str, theme: dict[str, str], where: str, used: set[str]) -> str:
    """``text`` with every ``{{ key }}`` replaced; images become ``images/<file name>``;
    ``{{ key | py }}`` becomes a Python string literal (for code and test cells, so no
    theme text can break or change the code around it)."""
    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key not in theme:
            raise ThemeError(f"{where}: {{{{ {key} }}}} is not in {THEME_FILE}")
        used.add(key)
        value = theme[key]
        if key.startswith("images."):
            value = f"images/{PurePosixPath(value).name}"
        return repr(value) if match.group(2) else value
    return PLACEHOLDER.sub(replace, text)


def _render_answer(source: str, walk: Callable[[Any], Any], where: str) -> str:
    """An answer cell's ``<field> = <literal>`` with the theme put into the literal's text
    (then written back with ``repr``, so no theme text can break the literal)."""
    try:
        statement = ast.parse(source).body
        if len(statement) != 1 or not isinstance(statement[0], ast.Assign):
            raise ValueError
        target = statement[0].targets[0]
        value = ast.literal_eval(statement[0].value)
    except (SyntaxError, ValueError):
        raise ThemeError(f"{where}: an answer cell must be <field> = <literal>") from None
    return f"{ast.unparse(target)} = {walk(value)!r}"


def _render_notebook(data: bytes, theme: dict[str, str], where: str, used: set[str]) -> bytes:
    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return substitute(value, theme, where, used)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value
    notebook = json.loads(data)
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code" and "answer" in cell.get("metadata", {}).get(
                "northlab", {}):
            source = cell["source"]
            cell["source"] = _render_answer(
                "".join(source) if isinstance(source, list) else source, walk, where)
    notebook = walk(notebook)
    return (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode()


def _render_workbook(data: bytes, theme: dict[str, str], where: str, used: set[str]) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        sheet.title = substitute(sheet.title, theme, where, used)
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = substitute(cell.value, theme, where, used)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cells(data: bytes) -> list[tuple[str, list[list[Any]]]]:
    """A workbook's sheets as (title, rows of values): what a render changes in it."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return [(sheet.title, [[cell.value for cell in row] for row in sheet.iter_rows()])
            for sheet in book.worksheets]


def render_file(path: Path, theme: dict[str, str], used: set[str], where: str) -> bytes:
    """One template file rendered with ``theme`` (other kinds of file are copied);
    ``where`` names it in errors."""
    data = path.read_bytes()
    if path.suffix == ".ipynb":
        return _render_notebook(data, theme, where, used)
    if path.suffix == ".xlsx":
        return _render_workbook(data, theme, where, used)
    if path.suffix in TEXT_SUFFIXES:
        return substitute(data.decode("utf-8"), theme, where, used).encode()
    return data


def render_lab(lab_dir: Path, theme: dict[str, str], track_dir: Path) -> list[Path]:
    """Write ``source/`` and ``solution/`` of one lab from its ``template/``; returns the
    folders written (none when the lab has no template)."""
    written = []
    for part in RENDERED:
        template = lab_dir / TEMPLATE / part
        if not template.is_dir():
            continue
        target = lab_dir / part
        rendered: dict[str, bytes] = {}
        used: set[str] = set()
        for path in sorted(p for p in template.rglob("*") if p.is_file()):
            rendered[path.relative_to(template).as_posix()] = render_file(
                path, theme, used, path.relative_to(track_dir).as_posix())
        for key in sorted(k for k in used if k.startswith("images.")):
            image = track_dir / theme[key]
            if not image.is_file():
                raise ThemeError(f"{track_dir / THEME_FILE}: {key}: no file {theme[key]}")
            rendered[f"images/{image.name}"] = image.read_bytes()
        for name in [n for n in rendered if n.endswith(".xlsx") and (target / n).is_file()]:
            if _cells(rendered[name]) == _cells((target / name).read_bytes()):
                rendered[name] = (target / name).read_bytes()  # saving stamps the time
        shutil.rmtree(target, ignore_errors=True)
        for name, data in rendered.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
        written.append(target)
    return written


def render_track(track_dir: Path) -> list[Path]:
    """Render every lab of the track that has a template; returns the folders written."""
    track_dir = Path(track_dir)
    theme = load_theme(track_dir)
    written = []
    for lab_dir in sorted(p.parent for p in track_dir.glob(f"*/{TEMPLATE}")):
        written += render_lab(lab_dir, theme, track_dir)
    return written


def export_track(track_dir: Path, out: Path) -> Path:
    """Copy the track folder to ``out``: a ``.tar.gz`` archive or a folder."""
    track_dir = Path(track_dir)
    if not (track_dir / "achievement.toml").is_file() and not list(track_dir.glob("*/lab.toml")):
        raise ThemeError(f"{track_dir}: not a track folder (no labs, no achievement.toml)")
    files = sorted(p for p in track_dir.rglob("*") if p.is_file() and not any(
        part.startswith(".") or part == "__pycache__"
        for part in p.relative_to(track_dir).parts))
    out = Path(out)
    if out.name.endswith((".tar.gz", ".tgz")):
        out.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(out, "w:gz") as archive:
            for path in files:
                archive.add(path, arcname=f"{track_dir.name}/{path.relative_to(track_dir)}",
                            recursive=False)
        return out
    if out.exists() and any(out.iterdir()):
        raise ThemeError(f"{out}: the folder is not empty")
    for path in files:
        target = out / path.relative_to(track_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return out


def _unpack(archive_path: Path, into: Path) -> Path:
    """Extract a track archive safely (regular files and folders only, no path leaving
    ``into``, size-capped); returns the track folder inside it."""
    try:
        archive = tarfile.open(archive_path, "r:*")
    except (OSError, tarfile.TarError) as exc:
        raise ThemeError(f"{archive_path}: not a readable .tar.gz archive ({exc})") from None
    with archive:
        members = archive.getmembers()
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise ThemeError(f"{archive_path}: too many files")
        if sum(m.size for m in members) > MAX_ARCHIVE_BYTES:
            raise ThemeError(f"{archive_path}: larger than {MAX_ARCHIVE_BYTES // 2**20} MB")
        tops = set()
        for member in members:
            if not (member.isfile() or member.isdir()) or not _safe_relative(member.name):
                raise ThemeError(f"{archive_path}: refusing {member.name!r} (only plain files "
                                 "and folders inside the track folder)")
            tops.add(PurePosixPath(member.name).parts[0])
        if len(tops) != 1:
            raise ThemeError(f"{archive_path}: must hold exactly one track folder")
        for member in members:
            target = into / member.name
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.extractfile(member) as data:
                target.write_bytes(data.read(member.size))
    return into / tops.pop()


def import_track(source: Path, labs_root: Path, *, replace: bool = False) -> tuple[str, Path]:
    """Install the track in ``source`` (archive or folder) as ``labs_root/<track>``: render
    its theme, validate every lab, then swap it in. Returns (track id, folder)."""
    source, labs_root = Path(source), Path(labs_root)
    if not source.exists():
        raise ThemeError(f"{source}: no such file or folder")
    labs_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=labs_root, prefix=".import-") as scratch:
        staged = Path(scratch) / "track"
        if source.is_dir():
            shutil.copytree(source, staged, symlinks=True)
            if any(p.is_symlink() for p in staged.rglob("*")):
                raise ThemeError(f"{source}: refusing symbolic links in a track folder")
        else:
            unpacked = _unpack(source, Path(scratch) / "unpacked")
            unpacked.rename(staged)
        render_track(staged)
        try:
            labs = discover_labs(staged)
        except LabError as exc:
            raise ThemeError(f"{source}: {exc}") from None
        tracks = {lab.track for lab in labs}
        if len(tracks) != 1:
            raise ThemeError(f"{source}: must hold the labs of one track, found "
                             f"{', '.join(sorted(tracks)) or 'none'}")
        track = tracks.pop()
        if track not in TRACKS:
            raise ThemeError(f"{source}: unknown track {track}")
        target = labs_root / track
        if target.exists() and not replace:
            raise ThemeError(f"{target} exists: add --replace to replace it")
        old = Path(scratch) / "old"
        if target.exists():
            target.rename(old)
        try:
            staged.rename(target)
        except OSError:
            if old.exists():
                old.rename(target)
            raise
    return track, target


def _cmd_render(args: argparse.Namespace) -> int:
    from northlab.cli import CommandError

    try:
        written = render_track(Path(args.track_dir))
    except (ThemeError, OSError) as exc:
        raise CommandError(str(exc)) from None
    print(f"rendered {len(written)} folders from {Path(args.track_dir) / THEME_FILE}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from northlab.cli import CommandError

    track_dir = Path(args.labs) / args.track
    if not track_dir.is_dir():
        raise CommandError(f"{track_dir}: no such track folder")
    try:
        out = export_track(track_dir, Path(args.out or f"{args.track}.tar.gz"))
    except (ThemeError, OSError) as exc:
        raise CommandError(str(exc)) from None
    print(f"exported {track_dir} to {out}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from northlab.cli import CommandError

    try:
        track, target = import_track(Path(args.source), Path(args.labs), replace=args.replace)
    except (ThemeError, OSError) as exc:
        raise CommandError(str(exc)) from None
    print(f"imported track {track} into {target}; run: northlab check {target}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    track = subparsers.add_parser(
        "track", help="adapt, export or import a whole track",
        description="Tools for communities adapting a track: render its theme.toml into "
        "the labs, export the track as one archive, import one.")
    verbs = track.add_subparsers(dest="track_command", metavar="ACTION", required=True)
    render = verbs.add_parser(
        "render", help="write the labs' source/ and solution/ from their template/ and the "
        "track's theme.toml", description="Run after editing theme.toml or a template, "
        "then `northlab check` the track folder.")
    render.add_argument("track_dir", metavar="TRACK_DIR", help="e.g. labs/foundations")
    render.set_defaults(func=_cmd_render)
    export = verbs.add_parser("export", help="pack a track into one .tar.gz or folder")
    export.add_argument("track", choices=TRACKS, help="track id")
    export.add_argument("--labs", default="labs", help="labs folder (default: labs)")
    export.add_argument("--out", metavar="X.tar.gz|DIR",
                        help="archive (.tar.gz) or empty folder (default: <track>.tar.gz)")
    export.set_defaults(func=_cmd_export)
    imp = verbs.add_parser("import", help="install a track from an archive or folder",
                           description="Unpacks, renders the theme and validates every lab "
                           "before replacing labs/<track>; a bad archive changes nothing.")
    imp.add_argument("source", metavar="X", help="a .tar.gz from `track export`, or a folder")
    imp.add_argument("--labs", default="labs", help="labs folder (default: labs)")
    imp.add_argument("--replace", action="store_true",
                     help="replace the track's folder if it exists")
    imp.set_defaults(func=_cmd_import)
