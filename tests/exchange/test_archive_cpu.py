"""Archive CPU bombs (review 11, B7): reading an upload costs work in proportion to its size.
Small uploads made of many tiny pax records, many pax headers or chains of extended headers
are refused (or read) within a CPU limit each reader runs under in a fresh process; honest
archives (Python's tarfile in pax format, GNU tar) still read."""

from __future__ import annotations

import gzip
import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from hub.services import archives
from hub.services.exchange import archive

REPO = Path(__file__).resolve().parents[2]
#: CPU seconds a reader may spend on one bomb: generous (an honest read takes a fraction of a
#: second even on a loaded machine), and far below what the bombs cost before the fix (20 s)
CPU_LIMIT = 5

READ = """
import resource, sys
resource.setrlimit(resource.RLIMIT_CPU, ({limit}, {limit}))
from hub.services import archives
data = open(sys.argv[1], "rb").read()
try:
    archives.walk(data, lambda member, content: None, max_bytes=200 * 2**20,
                  max_members=5000)
    print("accepted")
except archives.ArchiveLimit as exc:
    print("refused", exc.reason)
"""


def ustar(name: str, kind: bytes, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.size = kind, size
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def padded(body: bytes) -> bytes:
    return body + bytes(-len(body) % tarfile.BLOCKSIZE)


def gzipped(parts) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as gz:
        for part in parts:
            gz.write(part)
        gz.write(bytes(2 * tarfile.BLOCKSIZE))
    return out.getvalue()


def many_pax_headers(members: int = 3200, header: int = 63 * 1024) -> bytes:
    """The review's shape: before each empty member, a pax header of ``header`` bytes of the
    shortest records (``6 a=b``): about 500 KB uploaded, 200 MB decompressed."""
    body = padded(b"6 a=b\n" * (header // 6))
    return gzipped(part for k in range(members) for part in (
        ustar("././@PaxHeader", tarfile.XHDTYPE, len(body)), body,
        ustar(f"f{k}", tarfile.REGTYPE, 0)))


def many_small_pax_headers(members: int = 5000) -> bytes:
    """Headers under any per-header size cap: 1.5 KB of records each, every member."""
    body = padded(b"6 a=b\n" * 250)
    return gzipped(part for k in range(members) for part in (
        ustar("././@PaxHeader", tarfile.XHDTYPE, len(body)), body,
        ustar(f"f{k}", tarfile.REGTYPE, 0)))


def pax_chains(chains: int = 150, depth: int = 200) -> bytes:
    """Chains of pax headers (not members, so not counted as members) ending in a file."""
    body = padded(b"6 a=b\n" * (8 * 1024 // 6))
    return gzipped(part for k in range(chains) for part in (
        *[ustar("././@PaxHeader", tarfile.XHDTYPE, len(body)), body] * depth,
        ustar(f"f{k}", tarfile.REGTYPE, 0)))


def long_name_chains(chains: int = 150, depth: int = 200) -> bytes:
    """Chains of GNU long-name headers, each naming the next."""
    body = padded(b"n" * (8 * 1024 - 1))
    return gzipped(part for k in range(chains) for part in (
        *[ustar("././@LongLink", tarfile.GNUTYPE_LONGNAME, len(body)), body] * depth,
        ustar(f"f{k}", tarfile.REGTYPE, 0)))


def global_keys(members: int = 4700, headers: int = 200) -> bytes:
    """Global pax headers of distinct keys (60 each, under any per-header cap), which tarfile
    applies to every member."""
    bodies = [padded(b"".join(b"%d k%06d=v\n" % (len(b"k%06d=v\n" % i) + 3, i)
                              for i in range(60 * h, 60 * h + 60))) for h in range(headers)]
    return gzipped([*(part for h, body in enumerate(bodies) for part in (
        ustar("././@PaxGlobal", tarfile.XGLTYPE, len(body)), body, ustar(f"g{h}", b"5", 0))),
        *(ustar(f"f{k}", tarfile.REGTYPE, 0) for k in range(members))])


BOMBS = {"many pax headers": many_pax_headers,
         "many small pax headers": many_small_pax_headers,
         "pax header chains": pax_chains,
         "long name chains": long_name_chains,
         "global header of many keys": global_keys}


def read_under_cpu_limit(data: bytes, tmp_path: Path) -> str:
    """What :func:`archives.walk` says of ``data`` in a fresh process that the kernel kills
    after ``CPU_LIMIT`` CPU seconds (work, not wall time: a loaded machine does not matter)."""
    path = tmp_path / "upload.tgz"
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-c", READ.format(limit=CPU_LIMIT), str(path)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"killed after {CPU_LIMIT} CPU s ({done.returncode})"
    return done.stdout.strip()


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_small_uploads_of_many_headers_cost_bounded_work(bomb: str, tmp_path: Path) -> None:
    data = BOMBS[bomb]()
    assert len(data) < 2 * 2**20  # a small upload
    assert read_under_cpu_limit(data, tmp_path).startswith("refused header_too_big")


def test_the_pax_records_of_one_header_are_capped() -> None:
    body = padded(b"6 a=b\n" * (archives.MAX_PAX_RECORDS + 1))
    data = gzipped([ustar("././@PaxHeader", tarfile.XHDTYPE, len(body)), body,
                    ustar("f", tarfile.REGTYPE, 0)])
    with pytest.raises(archives.ArchiveLimit) as refused:
        archives.walk(data, lambda member, content: None, max_bytes=1024, max_members=10)
    assert refused.value.reason == "header_too_big"


def budget_test(body: bytes, members: int) -> bytes:
    return gzipped(part for k in range(members) for part in (
        ustar("././@PaxHeader", tarfile.XHDTYPE, len(body)), body,
        ustar(f"f{k}", tarfile.REGTYPE, 0)))


@pytest.mark.parametrize("record", [b"700 comment=" + b"c" * 687 + b"\n", b"6 a=b\n" * 17],
                         ids=["bytes", "records"])
def test_extended_headers_count_toward_one_budget_per_archive(record: bytes) -> None:
    """Headers each under every per-header cap which together pass the budget of an archive
    of that many members (in bytes, or in records)."""
    members = 100
    most_bytes, most_records = archives.metadata_budget(members)
    assert members * len(record) > most_bytes or members * record.count(b"\n") > most_records
    with pytest.raises(archives.ArchiveLimit) as refused:
        archives.walk(budget_test(padded(record), members), lambda m, c: None, max_bytes=1024,
                      max_members=members)
    assert refused.value.reason == "header_too_big"


def test_python_pax_archives_of_many_members_still_read() -> None:
    """Python's tarfile writes a pax header (the mtime) for every member: up to the limit."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for k in range(archive.MAX_MEMBERS):
            info = tarfile.TarInfo(f"data/{k:04d}-" + "n" * 200 + ".csv")
            info.mtime = 1796053879.4871242
            tar.addfile(info, io.BytesIO(b""))
    assert len(archive.inspect(out.getvalue())) == archive.MAX_MEMBERS


def test_a_refusal_is_a_sentence_for_the_learner() -> None:
    with pytest.raises(archive.ArchiveError) as refused:
        archive.inspect(many_small_pax_headers(200))
    assert refused.value.message_id == "archive.header_too_big"


def honest_tree(root: Path) -> list[str]:
    """A lab folder as learners make them: long, non-ASCII and nested names."""
    names = ["lab1.ipynb", "data/" + "n" * 150 + ".csv", "notes/été – café.md",
             "/".join(["deep"] * 40) + "/x.txt"]
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"{name}\n", encoding="utf-8")
    return sorted(names)


def names_read(data: bytes) -> list[str]:
    names: list[str] = []

    def visit(member: tarfile.TarInfo, content) -> None:  # type: ignore[no-untyped-def]
        if content is not None:
            assert content.read() == f"{member.name}\n".encode()
            names.append(member.name)

    archives.walk(data, visit, max_bytes=2**20, max_members=100)
    return sorted(names)


def test_python_pax_archives_still_read(tmp_path: Path) -> None:
    expected = honest_tree(tmp_path / "lab")
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name in expected:
            tar.add(tmp_path / "lab" / name, arcname=name)
    assert names_read(out.getvalue()) == expected


@pytest.mark.skipif(shutil.which("tar") is None, reason="GNU tar is not installed")
@pytest.mark.parametrize("tar_format", ["gnu", "pax", "posix"])
def test_gnu_tar_archives_still_read(tar_format: str, tmp_path: Path) -> None:
    expected = honest_tree(tmp_path / "lab")
    target = tmp_path / "lab.tgz"
    subprocess.run(["tar", f"--format={tar_format}", "-czf", str(target), "-C",
                    str(tmp_path / "lab"), *expected], check=True, timeout=120)
    assert names_read(target.read_bytes()) == expected
