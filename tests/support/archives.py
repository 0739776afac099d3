"""Hand-made .tar.gz uploads, hostile members included (links, absolute paths, ``..``)."""

from __future__ import annotations

import io
import tarfile


def member(name: str, kind: bytes = tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:
    """A member header: a file by default, else ``kind`` (a link to ``target``, a fifo...)."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def tar_gz(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    """A .tar.gz of ``members``, each a header and its content."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()
