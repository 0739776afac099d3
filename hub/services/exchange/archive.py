"""Folder <-> gzip tar archives that carry assignments, checked on both ends.

An archive may hold only regular files and folders with relative names that stay inside
the destination; links, devices, absolute names and ``..`` are refused, as are archives
over the member or size budget. One check (:class:`_Shape`) runs at submit and at unpack, so
what is accepted can be unpacked: no empty or ``.`` parts, names and depth within what a
file system takes, no file that is also a folder and no name twice.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO

from hub.services import archives
from hub.services.exchange.messages import Translated

#: Most members and uncompressed bytes one archive may hold.
MAX_MEMBERS = 5000
MAX_BYTES = 200 * 1024 * 1024
#: Longest name part (bytes, as file systems count), most parts and longest whole name.
MAX_PART_BYTES, MAX_DEPTH, MAX_NAME_BYTES = 255, 32, 1024


class ArchiveError(Translated, ValueError):
    """The archive is malformed, unsafe or too large (one sentence per language)."""


def pack(folder: Path, ignore: Callable[[str, list[str]], set[str]] | None = None) -> bytes:
    """Gzip tar of ``folder``'s contents (names relative to it), honouring ``ignore``."""
    folder = Path(folder)
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "staged"
        shutil.copytree(folder, staged, ignore=ignore, symlinks=False)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for path in sorted(staged.rglob("*")):
                info = tar.gettarinfo(str(path), arcname=path.relative_to(staged).as_posix())
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o755 if path.is_dir() else 0o644
                if path.is_file():
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
                elif path.is_dir():
                    tar.addfile(info)
        return buffer.getvalue()


def _checked(member: tarfile.TarInfo) -> PurePosixPath | None:
    """The name of a regular file to keep, None for a folder; refuses anything else."""
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts or "\\" in member.name:
        raise ArchiveError("archive.escapes", name=repr(member.name))
    parts = member.name.split("/")
    try:
        sizes = [len(os.fsencode(part)) for part in parts]
    except UnicodeEncodeError:
        sizes = []
    if not sizes or "\0" in member.name or any(part in ("", ".") for part in parts):
        raise ArchiveError("archive.bad_name", name=repr(member.name))
    if max(sizes) > MAX_PART_BYTES or len(parts) > MAX_DEPTH or sum(sizes) > MAX_NAME_BYTES:
        raise ArchiveError("archive.name_too_long", name=repr(member.name[:80]),
                           part=MAX_PART_BYTES, depth=MAX_DEPTH)
    if member.isdir():
        return None
    if not member.isfile():
        raise ArchiveError("archive.not_file", name=repr(member.name))
    return name


class _Shape:
    """Names seen so far in one archive; refuses a name that cannot join them on disk."""

    def __init__(self) -> None:
        self.files: set[str] = set()
        self.folders: set[str] = set()

    def add(self, member: tarfile.TarInfo) -> PurePosixPath | None:
        """:func:`_checked`, then no file where a folder is (or the reverse), no file twice."""
        name = _checked(member)
        path = member.name
        parents = [p.as_posix() for p in PurePosixPath(path).parents][:-1]
        clash = any(parent in self.files for parent in parents) or (
            path in self.files or (name is not None and path in self.folders))
        if clash:
            raise ArchiveError("archive.clash", name=repr(path))
        self.folders.update(parents)
        (self.files if name is not None else self.folders).add(path)
        return name


def _walk(data: bytes, visit: Callable[[tarfile.TarInfo, IO[bytes] | None], None],
          max_bytes: int) -> None:
    try:
        archives.walk(data, visit, max_bytes=max_bytes, max_members=MAX_MEMBERS)
    except archives.ArchiveLimit as exc:
        if exc.reason == "unreadable":
            raise ArchiveError("archive.unreadable", reason=exc.detail) from None
        if exc.reason == "unsupported":
            raise ArchiveError("archive.not_file", name=exc.detail) from None
        raise ArchiveError(f"archive.{exc.reason}", limit=exc.limit) from None


def inspect(data: bytes, max_bytes: int = MAX_BYTES) -> list[str]:
    """Check an archive and return its file names (folders excluded), sorted."""
    names, shape = [], _Shape()

    def visit(member: tarfile.TarInfo, _content: IO[bytes] | None) -> None:
        name = shape.add(member)
        if name is not None:
            names.append(name.as_posix())

    _walk(data, visit, max_bytes)
    return sorted(names)


def notebooks(names: list[str]) -> list[str]:
    """Notebook ids (file stems) of the top-level ``.ipynb`` files among ``names``."""
    return sorted(PurePosixPath(n).stem for n in names if "/" not in n and n.endswith(".ipynb"))


def unpack(data: bytes, destination: Path, max_bytes: int = MAX_BYTES) -> list[str]:
    """Check ``data`` (as :func:`inspect` does) and extract it into ``destination``
    (created); returns file names. Nothing is written unless the whole archive passes."""
    names = inspect(data, max_bytes)
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    shape = _Shape()

    # Regular files only, written by us: no owners, modes or links taken from the archive
    # (tarfile's extraction filters are missing from Debian 12's Python 3.11.2).
    def write(member: tarfile.TarInfo, content: IO[bytes] | None) -> None:
        name = shape.add(member)
        if name is None or content is None:
            return
        target = destination.joinpath(*name.parts)
        target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        with open(target, "wb") as out:
            shutil.copyfileobj(content, out)
        os.chmod(target, 0o644)

    _walk(data, write, max_bytes)
    return names
