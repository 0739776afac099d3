"""Hostile archives (review 10, F1): every archive a learner sends is read in bounded memory
and refused with a clear error, and one upload never stalls other people's requests."""

from __future__ import annotations

import functools
import gzip
import io
import json
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from tornado.web import Application

from hub.kit.sync.app import MAX_UPLOAD, BadUpload, unpack
from hub.services.exchange import archive, store
from hub.services.exchange.app import make_app
from hub.services.exchange.store import Store
from tests.support.web import serving_in_thread

REPO = Path(__file__).resolve().parents[2]
#: what a header bomb claims: before the fix, tarfile held all of it in memory
CLAIMED = 400 * 1024 * 1024
#: generous bound on the peak memory a refused archive may add to the process
MAX_RSS_DELTA_MB = 200


@functools.cache
def header_bomb(kind: bytes, size: int = CLAIMED) -> bytes:
    """A gzip tar whose first header is an extended header (``L`` long name, ``x`` pax) of
    ``size`` bytes of zeros: about 1/1000 of that compressed."""
    info = tarfile.TarInfo("././@LongLink")
    info.type, info.size = kind, size
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as gz:
        gz.write(info.tobuf(format=tarfile.USTAR_FORMAT))
        chunk = bytes(1 << 20)
        left = size + (-size % 512)
        while left:
            gz.write(chunk[:min(left, len(chunk))])
            left -= min(left, len(chunk))
        gz.write(bytes(1024))
    return out.getvalue()


def tar_of(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def zeros_gzip(size: int) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as gz:
        chunk = bytes(1 << 20)
        for _ in range(size // len(chunk)):
            gz.write(chunk)
    return out.getvalue()


def lying_file(size: int) -> bytes:
    """One file header declaring 10 bytes, then ``size`` bytes of non-zero content."""
    info = tarfile.TarInfo("notes.txt")
    info.size = 10
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as gz:
        gz.write(info.tobuf(format=tarfile.USTAR_FORMAT))
        chunk = b"a" * (1 << 20)
        for _ in range(size // len(chunk)):
            gz.write(chunk)
    return out.getvalue()


PROBE = """
import resource, sys, tempfile
from pathlib import Path
if sys.argv[1] == "exchange":
    from hub.services.exchange.archive import inspect as read
else:
    from hub.kit.sync.app import unpack
    def read(data): unpack(data, Path(tempfile.mkdtemp()))
data = Path(sys.argv[2]).read_bytes()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read(data)
    outcome = "accepted"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
print(grown, outcome)
"""


def probe(reader: str, data: bytes, tmp_path: Path) -> tuple[int, str]:
    """(peak memory growth in MB, outcome) of reading ``data`` in a fresh process."""
    path = tmp_path / "upload.tgz"
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-c", PROBE, reader, str(path)], cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=True)
    grown, outcome = done.stdout.strip().split(" ", 1)
    return int(grown), outcome


BOMBS = {
    "long name header": lambda: header_bomb(tarfile.GNUTYPE_LONGNAME),
    "pax header": lambda: header_bomb(tarfile.XHDTYPE),
    "global pax header": lambda: header_bomb(tarfile.XGLTYPE),
}


@pytest.mark.parametrize("reader", ["exchange", "kit"])
@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_header_bombs_are_refused_in_bounded_memory(reader: str, bomb: str, tmp_path: Path
                                                    ) -> None:
    grown, outcome = probe(reader, BOMBS[bomb](), tmp_path)
    assert outcome.startswith(("ArchiveError", "BadUpload")), outcome
    assert grown < MAX_RSS_DELTA_MB, f"{bomb}: peak memory grew by {grown} MB"


def test_refusals_say_what_is_wrong() -> None:
    with pytest.raises(archive.ArchiveError) as refused:
        archive.inspect(header_bomb(tarfile.GNUTYPE_LONGNAME, 1024 * 1024))
    assert refused.value.message_id == "archive.header_too_big"
    assert set(refused.value.messages) >= {"en", "fr"}
    assert refused.value.messages["en"] != refused.value.messages["fr"]


def test_a_plain_decompression_bomb_is_refused(tmp_path: Path) -> None:
    for data in (zeros_gzip(CLAIMED), lying_file(CLAIMED)):
        grown, outcome = probe("exchange", data, tmp_path)
        assert grown < MAX_RSS_DELTA_MB
        assert outcome.startswith("ArchiveError") or outcome == "accepted", outcome
    with pytest.raises(archive.ArchiveError) as refused:
        archive.inspect(tar_of([("big.txt", b"a" * 2048)]), max_bytes=1024)
    assert refused.value.message_id == "archive.too_big"


def test_the_decompressed_stream_is_capped(tmp_path: Path) -> None:
    """Content no file declares still counts: a member of an unknown kind, which the kit
    service skips, cannot make it decompress more than its upload limit."""
    info = tarfile.TarInfo("work/lab1/odd")
    info.type, info.size = b"Z", MAX_UPLOAD + (16 << 20)
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as gz:
        gz.write(info.tobuf(format=tarfile.USTAR_FORMAT))
        for _ in range(info.size >> 20):
            gz.write(bytes(1 << 20))
    with pytest.raises(BadUpload):
        unpack(out.getvalue(), tmp_path)


def test_many_tiny_entries_are_refused() -> None:
    data = tar_of([(f"f{i}", b"") for i in range(archive.MAX_MEMBERS + 1)])
    with pytest.raises(archive.ArchiveError) as refused:
        archive.inspect(data)
    assert refused.value.message_id == "archive.too_many"


def test_a_chain_of_long_name_headers_is_refused() -> None:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb") as gz:
        for _ in range(3000):
            info = tarfile.TarInfo("././@LongLink")
            info.type, info.size = tarfile.GNUTYPE_LONGNAME, 512
            gz.write(info.tobuf(format=tarfile.USTAR_FORMAT) + b"a" * 511 + b"\0")
    with pytest.raises(archive.ArchiveError):
        archive.inspect(out.getvalue())


def test_honest_archives_still_unpack(tmp_path: Path) -> None:
    data = tar_of([("lab1.ipynb", b"{}"), ("data/" + "n" * 150 + ".csv", b"1,2\n")])
    assert archive.unpack(data, tmp_path / "out") == ["data/" + "n" * 150 + ".csv",
                                                       "lab1.ipynb"]
    assert (tmp_path / "out" / "lab1.ipynb").read_bytes() == b"{}"


USERS = {"tok-ana": {"name": "ana", "kind": "user", "groups": ["cohort-north"]},
         "tok-ben": {"name": "ben", "kind": "user", "groups": ["cohort-north"]},
         "tok-ines": {"name": "ines", "kind": "user", "groups": ["instructors-north"]}}


class StubAuth:
    """The hub's identity lookup: a token's owner (the rest of the app is real)."""

    access_scopes: set[str] = set()

    async def get_user(self, handler, sync: bool = False) -> dict | None:
        return USERS.get(handler.request.headers.get("Authorization", "").split()[-1])


class StubGroups:
    async def courses(self) -> list[str]:
        return ["north"]


@pytest.fixture
def exchange(tmp_path: Path) -> Iterator[str]:
    """The real exchange app on a port of its own, in a thread; yields its API URL."""
    def app() -> Application:
        made = make_app(Store(tmp_path / "store"), StubAuth(), "/services/exchange/")
        made.settings["groups"] = StubGroups()
        return made

    with serving_in_thread(app, max_body_size=8 << 20) as (url, _):
        yield f"{url}/services/exchange/api"


def token(name: str) -> dict[str, str]:
    return {"Authorization": f"token {name}"}


def test_others_are_served_while_an_upload_is_checked(exchange: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """While ana's submission is being checked, ben's request is answered (functional: the
    check is held until ben has his answer)."""
    assert requests.put(f"{exchange}/assignments/north/lab1", data=tar_of([("lab1.ipynb",
                        b"{}")]), headers=token("tok-ines"), timeout=60).status_code == 201
    checking, release = threading.Event(), threading.Event()
    inspect = archive.inspect

    def held(data: bytes, max_bytes: int = archive.MAX_BYTES) -> list[str]:
        checking.set()
        release.wait(120)
        return inspect(data, max_bytes)

    monkeypatch.setattr(store.archive, "inspect", held)
    answers: dict[str, requests.Response] = {}
    upload = threading.Thread(target=lambda: answers.update(ana=requests.post(
        f"{exchange}/submissions/north/lab1", data=tar_of([("lab1.ipynb", b"{}")]),
        headers=token("tok-ana"), timeout=300)))
    upload.start()
    try:
        assert checking.wait(60)
        try:
            ben = requests.get(f"{exchange}/courses", headers=token("tok-ben"), timeout=30)
        except requests.Timeout:
            pytest.fail("ben was not answered while ana's upload was checked")
        assert ben.status_code == 200
        assert json.loads(ben.text)["user"] == "ben"
    finally:
        release.set()
        upload.join(300)
    assert answers["ana"].status_code == 201
