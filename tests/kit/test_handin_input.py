"""Hostile input at the kit's edges, without a kit install: uploads, manifests, catalogues."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from hub.kit import manifest
from hub.kit.build import LOCALE
from hub.kit.sync.app import BadUpload, unpack
from tests.support.archives import member, tar_gz


def test_unpack_keeps_only_the_manifest_and_work_files(tmp_path: Path):
    body = tar_gz(
        (member("manifest.json"), b"{}"),
        (member("work/lab/answer.py"), b"x = 1\n"),
        (member("work/lab/link", tarfile.SYMTYPE, "/etc/shadow"), b""),
        (member("work/lab/hard", tarfile.LNKTYPE, "manifest.json"), b""),
        (member("../escape.txt"), b"no"),
        (member("/abs.txt"), b"no"),
        (member("work/../../up.txt"), b"no"),
        (member(".kit/launcher.py"), b"no"),
    )
    unpack(body, tmp_path / "in")
    found = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                   if p.is_file() or p.is_symlink())
    assert found == ["in/manifest.json", "in/work/lab/answer.py"]


def test_unpack_refuses_what_is_not_a_gzipped_tar(tmp_path: Path):
    with pytest.raises(BadUpload):
        unpack(b"PK\x03\x04 not a tar", tmp_path)


def test_manifest_signed_by_another_hub_is_refused(tmp_path: Path):
    ours = manifest.signing_key(tmp_path / "ours")
    theirs = manifest.signing_key(tmp_path / "theirs")
    body = {"schema": manifest.SCHEMA, "cohort": "c", "track": "cybersecurity",
            "learner": "ana", "labs": [{"id": "lab", "files": {}}]}
    assert manifest.verify(manifest.sign(body, ours), ours) == body
    with pytest.raises(manifest.ManifestError) as refused:
        manifest.verify(manifest.sign(body, theirs), ours)
    assert refused.value.message_id == "kit.error.bad_signature"
    assert manifest.signing_key(tmp_path / "ours").private_bytes_raw() == \
        ours.private_bytes_raw()  # made once, then reused
    assert (tmp_path / "ours" / manifest.KEY_FILE).stat().st_mode & 0o777 == 0o600


def test_unreadable_manifest_is_one_sentence(tmp_path: Path):
    (tmp_path / manifest.FILE_NAME).write_text("{not json")
    with pytest.raises(manifest.ManifestError) as refused:
        manifest.read(tmp_path)
    assert refused.value.message_id == "kit.error.bad_manifest"
    (tmp_path / manifest.FILE_NAME).unlink()
    (tmp_path / manifest.FILE_NAME).symlink_to("/etc/passwd")
    with pytest.raises(manifest.ManifestError) as refused:
        manifest.read(tmp_path)
    assert refused.value.message_id == "kit.error.no_manifest"


def test_every_message_is_in_english_and_french():
    assert LOCALE.missing() == {}
    assert set(LOCALE.languages) >= {"en", "fr"}
    launcher = Path(__file__).resolve().parents[2] / "hub" / "kit" / "launcher.py"
    used = {m for m in LOCALE.messages["en"] if m.startswith("launcher.")}
    assert used and all(f'"{m}"' in launcher.read_text() for m in used)
    json.dumps(LOCALE.messages)  # the launcher ships them as JSON


@pytest.mark.parametrize("members", [
    [(member("work/a"), b"file"), (member("work/a/b"), b"under a file")],
    [(member("work/a/b"), b"x"), (member("work/a"), b"a file over a folder")],
    [(member("work/" + "n" * 300), b"name part over the file system's 255 bytes")],
], ids=["file-then-folder", "folder-then-file", "long-name"])
def test_a_kit_the_disk_cannot_hold_is_a_bad_upload(tmp_path: Path, members):
    """What the file system refuses is the upload's fault: a clear 400, never a 500."""
    with pytest.raises(BadUpload, match="unreadable"):
        unpack(tar_gz(*members), tmp_path / "in")
