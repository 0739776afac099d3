"""Reading a gzip tar archive someone else sent, in bounded memory and time.

Every service that takes an archive from a learner (the exchange, the kit service) reads it
here: the decompressed stream is capped (a reader that refuses past the limit), extended
headers (GNU long names, pax) are capped before :mod:`tarfile` reads them, sparse files are
refused, and members are counted. What names and kinds of member to keep is the caller's.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from collections.abc import Callable
from typing import IO

#: Largest extended header (a long name or a pax record set) read from an archive.
MAX_HEADER = 64 * 1024
#: Decompressed bytes allowed per member beyond its content (its headers and padding).
MEMBER_OVERHEAD = 3 * tarfile.BLOCKSIZE + MAX_HEADER // 64


class ArchiveLimit(ValueError):
    """The archive is unreadable or over a limit: ``reason`` is ``too_big``, ``too_many``,
    ``header_too_big``, ``unsupported`` or ``unreadable``; ``limit`` the limit passed."""

    def __init__(self, reason: str, limit: int = 0, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail or limit}")
        self.reason, self.limit, self.detail = reason, limit, detail


class _Capped(io.RawIOBase):
    """A reader of ``source`` that refuses (``too_big``) past ``limit`` bytes in all."""

    def __init__(self, source: IO[bytes], limit: int, reported: int) -> None:
        super().__init__()
        self.source, self.left, self.reported = source, limit, reported

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = self.left + 1 if size is None or size < 0 else min(size, self.left + 1)
        data = self.source.read(want)
        self.left -= len(data)
        if self.left < 0:
            raise ArchiveLimit("too_big", self.reported)
        return data

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class _BoundedInfo(tarfile.TarInfo):
    """A member header whose extended headers are capped and whose sparse maps are refused
    before tarfile reads them."""

    def _proc_member(self, tarfile_: tarfile.TarFile):  # type: ignore[no-untyped-def]
        if self.type in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE,
                         tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE) and self.size > MAX_HEADER:
            raise ArchiveLimit("header_too_big", MAX_HEADER)
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise ArchiveLimit("unsupported", detail="sparse file")
        return super()._proc_member(tarfile_)

    def _proc_gnusparse_00(self, *args):  # type: ignore[no-untyped-def]
        raise ArchiveLimit("unsupported", detail="sparse file")

    _proc_gnusparse_01 = _proc_gnusparse_10 = _proc_gnusparse_00


#: What reading a broken archive raises (the caller's own errors pass through).
_BROKEN = (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error, RecursionError,
           UnicodeError)


def walk(data: bytes, visit: Callable[[tarfile.TarInfo, IO[bytes] | None], None], *,
         max_bytes: int, max_members: int) -> None:
    """Call ``visit(member, content)`` for each member of the gzip tar ``data`` in order
    (``content``: a reader of a regular file's bytes, valid during the call; else None).
    Raises :class:`ArchiveLimit` past ``max_members``, past ``max_bytes`` of file content
    (declared or decompressed) or on a broken archive."""
    stream = _Capped(gzip.GzipFile(fileobj=io.BytesIO(data)),
                     max_bytes + max_members * MEMBER_OVERHEAD + 2 * tarfile.RECORDSIZE,
                     max_bytes)
    total = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|", tarinfo=_BoundedInfo) as tar:
            count = 0
            while (member := tar.next()) is not None:
                count += 1
                if count > max_members:
                    raise ArchiveLimit("too_many", max_members)
                tar.members.clear()  # a stream is read once: no list of every header
                if member.isfile():
                    total += member.size
                    if total > max_bytes:
                        raise ArchiveLimit("too_big", max_bytes)
                    visit(member, tar.extractfile(member))
                else:
                    visit(member, None)
    except _BROKEN as exc:
        raise ArchiveLimit("unreadable", detail=str(exc) or type(exc).__name__) from None
