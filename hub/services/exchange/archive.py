"""Folder <-> gzip tar archives that carry assignments, checked on both ends.

An archive may hold only regular files and folders with relative names that stay inside
the destination; links, devices, absolute names and ``..`` are refused, as are archives
over the member or size budget.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from hub.services.exchange.messages import Translated

#: Most members and uncompressed bytes one archive may hold.
MAX_MEMBERS = 5000
MAX_BYTES = 200 * 1024 * 1024


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


def inspect(data: bytes, max_bytes: int = MAX_BYTES) -> list[str]:
    """Check an archive and return its file names (folders excluded), sorted."""
    names = []
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise ArchiveError("archive.too_many", limit=MAX_MEMBERS)
                name = PurePosixPath(member.name)
                if name.is_absolute() or ".." in name.parts or "\\" in member.name:
                    raise ArchiveError("archive.escapes", name=repr(member.name))
                if member.isdir():
                    continue
                if not member.isfile():
                    raise ArchiveError("archive.not_file", name=repr(member.name))
                total += member.size
                if total > max_bytes:
                    raise ArchiveError("archive.too_big", limit=max_bytes)
                names.append(name.as_posix())
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, ArchiveError):
            raise
        raise ArchiveError("archive.unreadable", reason=exc) from None
    return sorted(names)


def notebooks(names: list[str]) -> list[str]:
    """Notebook ids (file stems) of the top-level ``.ipynb`` files among ``names``."""
    return sorted(PurePosixPath(n).stem for n in names if "/" not in n and n.endswith(".ipynb"))


def unpack(data: bytes, destination: Path) -> list[str]:
    """Check ``data`` and extract it into ``destination`` (created); returns file names."""
    names = inspect(data)
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    # Regular files only, written by us: no owners, modes or links taken from the archive
    # (tarfile's extraction filters are missing from Debian 12's Python 3.11.2).
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            target = destination.joinpath(*PurePosixPath(member.name).parts)
            target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None  # a regular file always has content
            with source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
            os.chmod(target, 0o644)
    return names
