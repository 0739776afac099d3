"""The activity folder as a learner sees it: a tree of folders and files, new folders,
uploads, moves, new names and deletions, all kept inside the folder.

Names come from the learner's browser: one plain name per step (no ``/``, no ``..``, no
leading dot, printable, at most :data:`MAX_NAME` characters); symbolic links are never
listed or followed; the activity's notebook cannot be moved, renamed, replaced or deleted;
only files and empty folders can be deleted.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from hub.foundations.answers import AnswerError

MAX_NAME = 100
MAX_ENTRIES = 500
MAX_DEPTH = 8
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
FORBIDDEN = set('/\\:*?"<>|')


@dataclass(frozen=True)
class Entry:
    path: str  #: relative to the activity folder, "/"-separated
    folder: bool
    depth: int

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def safe_name(raw: str) -> str:
    """One file or folder name, or :class:`AnswerError`."""
    name = unicodedata.normalize("NFC", raw.strip())
    if (not name or len(name) > MAX_NAME or name.startswith(".") or FORBIDDEN & set(name)
            or not name.isprintable()):
        raise AnswerError("folder.bad_name", limit=MAX_NAME)
    return name


class ActivityFolder:
    """One fetched activity's folder; ``protected``: names that may not change (the
    notebook)."""

    def __init__(self, root: Path, protected: frozenset[str] = frozenset()) -> None:
        self.root, self.protected = root, protected

    def entries(self) -> list[Entry]:
        """Folders and files, depth first, folders before files, dot names left out."""
        found: list[Entry] = []

        def walk(folder: Path, prefix: str, depth: int) -> None:
            try:
                items = sorted(os.scandir(folder), key=lambda e: (not e.is_dir(
                    follow_symlinks=False), e.name.casefold()))
            except OSError:
                return
            for item in items:
                if item.name.startswith(".") or item.is_symlink() or len(found) >= MAX_ENTRIES:
                    continue
                is_folder = item.is_dir(follow_symlinks=False)
                found.append(Entry(prefix + item.name, is_folder, depth))
                if is_folder and depth < MAX_DEPTH:
                    walk(Path(item.path), f"{prefix}{item.name}/", depth + 1)

        walk(self.root, "", 0)
        return found

    def paths(self, *, folder: bool) -> set[str]:
        return {e.path for e in self.entries() if e.folder == folder}

    def resolve(self, relative: str, *, folder: bool | None = None) -> Path:
        """``relative`` ("" = the activity folder) as a path, each step a plain name that
        exists as no symbolic link; ``folder`` True/False: it must be a folder/a file."""
        path = self.root
        for part in relative.split("/") if relative else ():
            if part != safe_name(part):
                raise AnswerError("folder.bad_name", limit=MAX_NAME)
            path = path / part
            try:
                mode = path.lstat().st_mode
            except OSError:
                raise AnswerError("answer.no_such_item") from None
            if stat.S_ISLNK(mode):
                raise AnswerError("answer.no_such_item")
        is_folder = path.is_dir()
        if folder is not None and folder != is_folder:
            raise AnswerError("answer.no_such_item")
        return path

    def make_folder(self, parent: str, name: str) -> str:
        target = self.resolve(parent, folder=True) / safe_name(name)
        if target.exists() or target.is_symlink():
            raise AnswerError("folder.exists", name=target.name)
        target.mkdir()
        return self._relative(target)

    def upload(self, parent: str, name: str, body: bytes) -> str:
        if len(body) > MAX_UPLOAD_BYTES:
            raise AnswerError("folder.too_big", megabytes=MAX_UPLOAD_BYTES // (1024 * 1024))
        # some browsers send the whole path (C:\\fakepath\\...): keep its last name
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        target = self.resolve(parent, folder=True) / safe_name(base)
        self._check_free(target)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        descriptor = os.open(target, flags, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(body)
        return self._relative(target)

    def move(self, item: str, into: str) -> str:
        source = self._changeable(item)
        folder = self.resolve(into, folder=True)
        if folder == source or source in folder.parents:
            raise AnswerError("folder.into_itself")
        target = folder / source.name
        if target.exists() or target.is_symlink():
            raise AnswerError("folder.exists", name=target.name)
        source.rename(target)
        return self._relative(target)

    def rename(self, item: str, name: str) -> str:
        source = self._changeable(item)
        target = source.with_name(safe_name(name))
        if target.exists() or target.is_symlink():
            raise AnswerError("folder.exists", name=target.name)
        source.rename(target)
        return self._relative(target)

    def delete(self, item: str) -> str:
        """Delete a file or an empty folder (a folder with things in it is refused)."""
        source = self._changeable(item)
        if source.is_dir():
            if any(source.iterdir()):
                raise AnswerError("folder.not_empty", name=source.name)
            source.rmdir()
        else:
            source.unlink()
        return self._relative(source)

    def _changeable(self, item: str) -> Path:
        source = self.resolve(item)
        if not item or self._relative(source) in self.protected:
            raise AnswerError("folder.protected")
        return source

    def _check_free(self, target: Path) -> None:
        if self._relative(target) in self.protected or target.is_symlink() or target.is_dir():
            raise AnswerError("folder.protected")

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()
