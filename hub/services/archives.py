"""Reading a gzip tar archive someone else sent, in bounded memory and time.

Every service that takes an archive from a learner (the exchange, the kit service) reads it
here: the decompressed stream is capped (a reader that refuses past the limit), extended
headers (GNU long names, pax) are capped before :mod:`tarfile` reads them (each, per chain,
per archive, and pax records per header, read by our own linear parser), sparse files are
refused, and members are counted, so reading costs work in proportion to the upload. What
names and kinds of member to keep is the caller's.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from collections.abc import Callable
from typing import IO

#: Largest extended header (a long name or a pax record set) read from an archive: a path
#: and a link target of PATH_MAX (4096) bytes each fit.
MAX_HEADER = 9 * 1024
#: Most records in one pax header, and most keys global pax headers may set in all (real
#: tools write a few: path, linkpath, times, ids, owner names, some xattrs).
MAX_PAX_RECORDS = 64
#: Most extended headers before one member (GNU tar writes a long link then a long name;
#: pax writers one global and one extended header).
MAX_CHAIN = 4
#: Extended-header bytes and pax records each member may use on average, within an
#: archive's budget (Python's tarfile writes one 30-byte record per member, GNU tar's pax
#: format three or four).
METADATA_PER_MEMBER, RECORDS_PER_MEMBER = 512, 16
#: Decompressed bytes allowed per member beyond its content and extended-header bytes (its
#: own header, its extended headers' header blocks, and padding).
MEMBER_OVERHEAD = 5 * tarfile.BLOCKSIZE
_EXTENDED = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE,
             tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)


def metadata_budget(max_members: int) -> tuple[int, int]:
    """The extended-header bytes and pax records an archive of at most ``max_members``
    members may hold in all: reading them is work in proportion."""
    return (MAX_HEADER + max_members * METADATA_PER_MEMBER,
            MAX_PAX_RECORDS + max_members * RECORDS_PER_MEMBER)


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


def _pax_records(buf: bytes) -> list[tuple[bytes, bytes]]:
    """The ``(keyword, value)`` records of a pax header, read in one linear pass; at most
    :data:`MAX_PAX_RECORDS` (else ``header_too_big``)."""
    records: list[tuple[bytes, bytes]] = []
    pos = 0
    while pos < len(buf) and buf[pos] != 0:
        if len(records) == MAX_PAX_RECORDS:
            raise ArchiveLimit("header_too_big", MAX_HEADER, "too many pax records")
        space = buf.find(b" ", pos, pos + 21)
        digits = buf[pos:space]
        length = int(digits) if space > pos and digits.isdigit() else 0
        end = pos + length - 1
        if length < 5 or end >= len(buf) or buf[end] != 0x0A:
            raise tarfile.InvalidHeaderError("invalid header")
        keyword, equals, value = buf[space + 1:end].partition(b"=")
        if not keyword or not equals:
            raise tarfile.InvalidHeaderError("invalid header")
        records.append((keyword, value))
        pos += length
    return records


class _BoundedInfo(tarfile.TarInfo):
    """A member header whose extended headers are capped (each, in a chain, and in all per
    archive), whose pax records are read by :func:`_pax_records`, and whose sparse maps are
    refused, all before tarfile reads them."""

    def _proc_member(self, tarfile_: _BoundedTar):  # type: ignore[no-untyped-def,override]
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise ArchiveLimit("unsupported", detail="sparse file")
        if self.type not in _EXTENDED:
            return super()._proc_member(tarfile_)
        if self.size > MAX_HEADER:
            raise ArchiveLimit("header_too_big", MAX_HEADER)
        tarfile_.bytes_left -= self.size
        if tarfile_.bytes_left < 0:
            raise ArchiveLimit("header_too_big", MAX_HEADER, "extended headers in all")
        if tarfile_.chain == MAX_CHAIN:
            raise ArchiveLimit("header_too_big", MAX_HEADER, "chain of extended headers")
        tarfile_.chain += 1
        try:
            return super()._proc_member(tarfile_)
        finally:
            tarfile_.chain -= 1

    def _proc_pax(self, tarfile_: _BoundedTar):  # type: ignore[no-untyped-def,override]
        """tarfile's own, but with records read by :func:`_pax_records` and global keys
        capped (tarfile applies every global key to every later member)."""
        records = _pax_records(tarfile_.fileobj.read(self._block(self.size))[:self.size])
        tarfile_.records_left -= len(records)
        if tarfile_.records_left < 0:
            raise ArchiveLimit("header_too_big", MAX_HEADER, "pax records in all")
        extended = self.type != tarfile.XGLTYPE
        headers = tarfile_.pax_headers.copy() if extended else tarfile_.pax_headers
        charset = next((value for keyword, value in records if keyword == b"hdrcharset"), None)
        names = tarfile_.encoding if charset == b"BINARY" else "utf-8"
        for keyword, value in records:
            key = self._decode_pax_field(keyword, "utf-8", "utf-8", tarfile_.errors)
            if key.startswith("GNU.sparse."):
                raise ArchiveLimit("unsupported", detail="sparse file")
            headers[key] = (
                self._decode_pax_field(value, names, tarfile_.encoding, tarfile_.errors)
                if key in tarfile.PAX_NAME_FIELDS
                else self._decode_pax_field(value, "utf-8", "utf-8", tarfile_.errors))
        if not extended and len(headers) > MAX_PAX_RECORDS:
            raise ArchiveLimit("header_too_big", MAX_HEADER, "too many global pax keys")
        try:
            member = self.fromtarfile(tarfile_)
        except tarfile.HeaderError as exc:
            raise tarfile.SubsequentHeaderError(str(exc)) from None
        if extended:
            member._apply_pax_info(headers, tarfile_.encoding, tarfile_.errors)
            member.offset = self.offset
            if "size" in headers:
                offset = member.offset_data
                if member.isreg() or member.type not in tarfile.SUPPORTED_TYPES:
                    offset += member._block(member.size)
                tarfile_.offset = offset
        return member


class _BoundedTar(tarfile.TarFile):
    """A tar stream whose members are :class:`_BoundedInfo`, with the archive's budget of
    extended-header bytes and pax records (``bytes_left``, ``records_left``) and the current
    chain of extended headers."""

    tarinfo = _BoundedInfo

    def __init__(self, *args, budget: tuple[int, int], **kwargs) -> None:  # type: ignore[no-untyped-def]
        (self.bytes_left, self.records_left), self.chain = budget, 0
        super().__init__(*args, **kwargs)


#: What reading a broken archive raises (the caller's own errors pass through).
_BROKEN = (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error, RecursionError,
           UnicodeError)


def walk(data: bytes, visit: Callable[[tarfile.TarInfo, IO[bytes] | None], None], *,
         max_bytes: int, max_members: int) -> None:
    """Call ``visit(member, content)`` for each member of the gzip tar ``data`` in order
    (``content``: a reader of a regular file's bytes, valid during the call; else None).
    Raises :class:`ArchiveLimit` past ``max_members``, past ``max_bytes`` of file content
    (declared or decompressed) or on a broken archive."""
    budget = metadata_budget(max_members)
    stream = _Capped(gzip.GzipFile(fileobj=io.BytesIO(data)),
                     max_bytes + budget[0] + max_members * MEMBER_OVERHEAD
                     + 2 * tarfile.RECORDSIZE, max_bytes)
    total = 0
    try:
        with _BoundedTar.open(fileobj=stream, mode="r|", budget=budget) as tar:
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
