"""`northlab credential ...` verbs as a user runs them (environment, exit codes, output)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.services.credentials.service import Credentials
from northlab.cli import main
from northlab.settings import REPO


@pytest.fixture
def run(settings, tmp_path, monkeypatch, capsys):
    """Run ``northlab ARGS`` in-process (the verbs read the environment like the command)."""
    env = {
        "NORTHLAB_DATA": str(settings.data_root),
        "NORTHLAB_LABS_ROOT": str(settings.labs_root),
        "NORTHLAB_CONFIG": os.devnull,
        "NORTHLAB_CREDENTIALS_PUBLIC_URL": settings.public_url,
        "NORTHLAB_CREDENTIALS_ALLOW_LOOPBACK": "1",
    }

    def northlab(*args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
        with monkeypatch.context() as patch:
            for name, value in {**env, **(extra_env or {})}.items():
                patch.setenv(name, value)
            capsys.readouterr()
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse: --help and usage errors
                code = exit_.code
            out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return northlab


def test_achievements_lists_ids_one_per_line(run):
    result = run("credential", "achievements")
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["cybersecurity-foundations"]


def test_the_installed_command_lists_the_repository_achievements():
    """One real `northlab` process: every track of the repository has an achievement."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("northlab")), "credential", "achievements"],
        cwd=REPO,
        env={**os.environ, "NORTHLAB_CONFIG": os.devnull, "NORTHLAB_LABS_ROOT": str(REPO / "labs")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == [
        "ai-data-foundations",
        "cybersecurity-foundations",
        "digital-foundations",
        "gamedev-foundations",
        "robotics-foundations",
    ], result.stderr


def test_issue_verify_revoke_cycle(run, settings, tmp_path):
    out = tmp_path / "ana.json"
    issued = run(
        "credential",
        "issue",
        "--learner",
        "ana",
        "--achievement",
        "cybersecurity-foundations",
        "--out",
        str(out),
        "--reason",
        "transfer credit",
        "--by",
        "prof",
    )
    assert issued.returncode == 0, issued.stderr
    document = json.loads(out.read_text())
    keys = settings.data_root / "credentials" / "keys"
    (key_file,) = keys.iterdir()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert not str(key_file).startswith(str(REPO))

    valid = run("credential", "verify", str(out), "--recipient", "ana")
    assert valid.returncode == 0 and valid.stdout.startswith("VALID"), valid.stdout
    assert f"Issued by this northlab ({settings.public_url})." in valid.stdout
    assert "Yes: this credential was issued to this person." in valid.stdout
    stranger = run("credential", "verify", "--no-local", str(out), "--recipient", "ana")
    assert "Unknown issuer — the signature is valid but anyone can make" in stranger.stdout
    assert "only be checked for valid credentials issued by this northlab" in stranger.stdout
    trusted = run("credential", "verify", "--no-local", str(out), extra_env={
        "NORTHLAB_CREDENTIALS_TRUSTED_ISSUERS": document["issuer"]["id"]})
    assert "Issued by a known issuer" in trusted.stdout

    bad = tmp_path / "bad.json"
    document["credentialSubject"]["achievement"]["name"] = "Rocket Science"
    bad.write_text(json.dumps(document))
    tampered = run("credential", "verify", str(bad))
    assert tampered.returncode == 1 and "tampered field" in tampered.stdout
    offline = run("credential", "verify", "--no-local", str(bad))
    assert offline.returncode == 1 and "signature" in offline.stdout

    revoked = run("credential", "revoke", document["id"], "--reason", "issued in error")
    assert revoked.returncode == 0, revoked.stderr
    after = run("credential", "verify", str(out))
    assert after.returncode == 1 and "revoked" in after.stdout

    # an employer with only the file and the published status list also sees the revocation
    status_file = tmp_path / "status.json"
    assert run("credential", "status-list", "1", "--out", str(status_file)).returncode == 0
    employer = run(
        "credential", "verify", "--no-local", "--status-list", str(status_file), str(out)
    )
    assert employer.returncode == 1 and "revoked" in employer.stdout
    listed = run("credential", "list", "--learner", "ana")
    assert "revoked" in listed.stdout


def test_email_identity(run, tmp_path):
    def email(address: str) -> int:
        return run("credential", "email", "--learner", "bo", "--email", address).returncode

    assert email("not-an-address") == 2 and email("Bo@Example.org") == 0  # 2: usage error
    out = tmp_path / "bo.json"
    issued = run("credential", "issue", "--learner", "bo", "--achievement",
                 "cybersecurity-foundations", "--out", str(out))
    assert issued.returncode == 0, issued.stderr
    identity = json.loads(out.read_text())["credentialSubject"]["identifier"][0]
    assert identity["identityType"] == "emailAddress"
    yes = run("credential", "verify", str(out), "--recipient", "bo@example.org")
    assert "Yes:" in yes.stdout
    no = run("credential", "verify", str(out), "--recipient", "bo")
    assert "No:" in no.stdout


def test_hostile_files_are_one_clear_line(run, tmp_path):
    files = {"deep": "[" * 100000 + "]" * 100000, "nan": '{"a": NaN}', "list": "[]",
             "binary": "\udcff", "odd": '{"@context": ["https://www.w3.org/ns/credentials/v2"],'
             ' "type": ["VerifiableCredential"], "issuer": {"id": ["x"]}, "proof": [{}]}'}
    for name, text in files.items():
        path = tmp_path / f"{name}.json"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        result = run("credential", "verify", str(path))
        assert result.returncode in (1, 2) and "Traceback" not in result.stderr, name
        assert (result.stdout + result.stderr).count("\n") == 1, (name, result)
    listed = tmp_path / "list.json"
    assert run("credential", "verify", "--did-document", str(listed), str(listed)).returncode == 2


def test_expired_credential_exits_1(run, settings, tmp_path):
    out = tmp_path / "new.json"
    run(
        "credential",
        "issue",
        "--learner",
        "bo",
        "--achievement",
        "cybersecurity-foundations",
        "--out",
        str(out),
        extra_env={"NORTHLAB_CREDENTIALS_VALID_YEARS": "1"},
    )
    document = json.loads(out.read_text())
    assert document["validUntil"] > document["validFrom"]
    assert run("credential", "verify", str(out)).returncode == 0
    # one issued by the same issuer in 2020, valid for one year
    past = datetime(2020, 3, 1, tzinfo=UTC)
    then = Credentials(replace(settings, valid_years=1), clock=lambda: past)
    old = then.award("bo", "cybersecurity-foundations", awarded_by="t", reason="r").document
    then.engine.dispose()
    old_file = tmp_path / "old.json"
    old_file.write_text(json.dumps(old))
    expired = run("credential", "verify", str(old_file))
    assert expired.returncode == 1 and "expired" in expired.stdout


def test_bad_input_gives_one_clear_error(run, tmp_path):
    missing = run("credential", "verify", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and missing.stderr.startswith("northlab: error: cannot read")
    unknown = run("credential", "issue", "--learner", "a", "--achievement", "nope", "--out", "-")
    assert unknown.returncode == 2 and "unknown achievement" in unknown.stderr
    not_json = tmp_path / "x.json"
    not_json.write_text("[1, 2]")
    shape = run("credential", "verify", str(not_json))
    assert shape.returncode == 1 and "INVALID" in shape.stdout


def test_rotation_keeps_earlier_credentials_valid(run, tmp_path, js_verify):
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    args = ("--achievement", "cybersecurity-foundations", "--out")
    assert run("credential", "issue", "--learner", "a", *args, str(first)).returncode == 0
    rotated = run("credential", "rotate-key")
    assert rotated.returncode == 0 and "did:key:" in rotated.stdout
    assert run("credential", "issue", "--learner", "b", *args, str(second)).returncode == 0
    one, two = json.loads(first.read_text()), json.loads(second.read_text())
    assert one["issuer"]["id"] != two["issuer"]["id"]
    assert (
        one["credentialStatus"]["statusListCredential"]
        != two["credentialStatus"]["statusListCredential"]
    )
    for path in (first, second):
        assert run("credential", "verify", str(path)).returncode == 0
    lists = []
    for list_id in ("1", "2"):
        out = tmp_path / f"sl{list_id}.json"
        run("credential", "status-list", list_id, "--out", str(out))
        lists.append(json.loads(out.read_text()))
    assert all(r["verified"] and not r["revoked"] for r in js_verify([one, two], lists))


def test_help_on_every_verb(run):
    verbs = ("achievements", "issue", "verify", "revoke", "list", "evaluate", "rotate-key")
    for verb in (*verbs, "status-list"):
        result = run("credential", verb, "--help")
        assert result.returncode == 0 and "usage:" in result.stdout
    for verb in ("deliver", "status"):
        assert run("outbox", verb, "--help").returncode == 0
    assert Path(REPO / "hub" / "services" / "credentials" / "cli.py").is_file()


def test_evaluate_awards_learners_who_met_a_new_achievement(run, settings, tmp_path):
    from .conftest import make_record

    achievement = settings.labs_root / "cybersecurity" / "achievement.toml"
    saved = achievement.read_text()
    achievement.unlink()  # results arrive before the achievement exists
    library = Credentials(settings)
    for lab in ("lab-one", "lab-two", "lab-three"):
        library.record_result(make_record("ivy", lab, 9), reported_by="g")
    library.record_result(make_record("jon", "lab-one", 9), reported_by="g")
    library.engine.dispose()
    achievement.write_text(saved)
    first = run("credential", "evaluate")
    assert first.returncode == 0 and first.stdout.count("issued") == 1 and "ivy" in first.stdout
    assert run("credential", "evaluate").stdout == ""  # idempotent
