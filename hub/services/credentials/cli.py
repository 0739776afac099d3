"""``northlab credential ...``: thin verbs over :mod:`hub.services.credentials.service`.

Run them as the user that runs the credential service (they read its data root).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from hub.services.credentials.contexts import ContextsMissing, document_loader
from hub.services.credentials.service import Credentials, CredentialsError
from hub.services.credentials.settings import load_settings
from hub.services.credentials.verify import (
    Issuer,
    Verification,
    parse_untrusted_json,
    verify_credential,
)
from northlab.cli import CommandError
from northlab.i18n import Catalog

CATALOG = Catalog(Path(__file__).with_name("locale"))


def _library() -> Credentials:
    try:
        return Credentials(load_settings())
    except (ContextsMissing, ValueError, OSError) as exc:
        raise CommandError(str(exc)) from exc


def _who(args: argparse.Namespace) -> str:
    return args.by or os.environ.get("SUDO_USER") or getpass.getuser()


def _write_json(document: dict[str, Any], out: str) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out == "-":
        sys.stdout.write(text)
        return
    path = Path(out)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


#: Largest JSON file the verbs read (a credential or status list is a few KB).
MAX_FILE = 256 * 1024


def _read_json(path: str) -> Any:
    try:
        return parse_untrusted_json(Path(path).read_bytes(), MAX_FILE)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc


def cmd_achievements(args: argparse.Namespace) -> int:
    from hub.services.credentials.achievements import AchievementError, load_achievements

    try:
        achievements = load_achievements(load_settings().labs_root)
    except AchievementError as exc:
        raise CommandError(str(exc)) from exc
    for achievement_id in achievements:
        print(achievement_id)
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    library = _library()
    try:
        if args.email:
            library.recipients.set_email(args.learner, args.email)
        credential = library.award(
            args.learner,
            args.achievement,
            awarded_by=_who(args),
            reason=args.reason,
            holder=args.holder,
        )
    except (CredentialsError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    _write_json(credential.document, args.out)
    print(f"issued urn:uuid:{credential.id} to {args.learner}", file=sys.stderr)
    return 0


def _local_sources(args: argparse.Namespace):
    """Keys, status lists and stored originals from this server's DB, when it has one."""
    settings = load_settings()
    sqlite_file = settings.db_url.removeprefix("sqlite:///")
    if args.no_local or (
        settings.db_url.startswith("sqlite:///") and not Path(sqlite_file).exists()
    ):
        return None
    return _library()


def _given_status_lists(paths: list[str]) -> dict[str, dict[str, Any]]:
    """``{list URL: status list credential}`` of the ``--status-list`` files."""
    lists = {}
    for path in paths:
        status_list = _read_json(path)
        list_id = status_list.get("id") if isinstance(status_list, dict) else None
        if not isinstance(list_id, str):
            raise CommandError(f"{path} is not a status list credential (it has no id)")
        lists[list_id] = status_list
    return lists


def _did_document_keys(path: str, own_dids: frozenset[str]) -> dict[str, tuple[str, str]]:
    """The keys of a ``--did-document`` file, checked the way a did:web resolver would:
    the document's id is the DID, each key is ``<DID>#<fragment>`` controlled by it.
    A document for one of this northlab's own DIDs is ignored (its keys come from the
    local database)."""
    did = _read_json(path)
    problem = f"{path} is not a DID document"
    if not isinstance(did, dict) or not isinstance(did.get("id"), str):
        raise CommandError(f"{problem} (it has no id)")
    subject = did["id"]
    if not subject.startswith("did:") or subject.startswith("did:key:"):
        raise CommandError(f"{problem} for a did:web issuer (id {subject!r})")
    if subject in own_dids:
        print(f"warning: ignoring {path}: {subject} is this northlab's DID", file=sys.stderr)
        return {}
    methods = did.get("verificationMethod")
    if not isinstance(methods, list):
        raise CommandError(f"{problem} (verificationMethod is not a list)")
    keys = {}
    for method in methods:
        if not isinstance(method, dict) or not all(
            isinstance(method.get(k), str) for k in ("id", "controller", "publicKeyMultibase")
        ):
            raise CommandError(f"{problem} (a verificationMethod lacks id, controller or key)")
        if not method["id"].startswith(subject + "#") or method["controller"] != subject:
            raise CommandError(f"{problem}: key {method['id']} does not belong to {subject}")
        keys[method["id"]] = (subject, method["publicKeyMultibase"])
    return keys


def cmd_verify(args: argparse.Namespace) -> int:
    document = _read_json(args.file)
    given_lists = _given_status_lists(args.status_list or [])
    library = _local_sources(args)
    settings = load_settings()
    issuers = (
        library.issuers() if library else Issuer(trusted_dids=frozenset(settings.trusted_issuers))
    )
    known = _did_document_keys(args.did_document, issuers.own_dids) if args.did_document else {}
    original = None
    if library is not None:
        known = {**known, **library.known_keys()}  # a file never overrides our own keys

        def original(credential_id: str) -> dict[str, Any] | None:
            try:
                return library.get(credential_id).document
            except CredentialsError:
                return None

    def status_lists(url: str) -> dict[str, Any] | None:
        list_id = library.status_list_id(url) if library else None
        if list_id is None:  # not ours: only a file can tell
            return given_lists.get(url)
        try:  # ours: the local database, never a (possibly stale) copy
            return library.status_list_credential(list_id)
        except CredentialsError:
            return None

    try:
        loader = document_loader(settings.node_root)
    except ContextsMissing as exc:
        raise CommandError(str(exc)) from exc
    result = verify_credential(
        document,
        loader=loader,
        known_keys=known,
        status_lists=status_lists,
        original=original,
        issuers=issuers,
    )
    recipient = None
    if args.recipient and result.valid and result.issued_by == "ours" and library is not None:
        recipient = library.recipients.issued_to(document, args.recipient)
    if args.json:
        print(json.dumps({**result.__dict__, "issued_to": recipient}, indent=2))
        return 0 if result.valid else 1
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(("VALID: " if result.valid else "INVALID: ") + result.message)
    if result.valid:
        print(_issued_by(result, settings.public_url))
    if args.recipient:
        key = {True: "recipient_yes", False: "recipient_no", None: "recipient_not_ours"}
        print(CATALOG.text(key[recipient], "en"))
    return 0 if result.valid else 1


def _issued_by(result: Verification, public_url: str) -> str:
    if result.issued_by == "ours":
        return CATALOG.text("issuer_ours", "en", url=public_url)
    return CATALOG.text(f"issuer_{result.issued_by}", "en", issuer=result.issuer or "")


def cmd_email(args: argparse.Namespace) -> int:
    try:
        _library().recipients.set_email(args.learner, args.email)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    print(f"credentials issued to {args.learner} from now on name {args.email} (hashed)")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    try:
        credential = _library().revoke(args.credential, revoked_by=_who(args), reason=args.reason)
    except CredentialsError as exc:
        raise CommandError(str(exc)) from exc
    print(f"revoked urn:uuid:{credential.id}: {credential.revocation_reason}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    library = _library()
    for credential in library.credentials_of(args.learner):
        state = "revoked" if credential.revoked_at else "active"
        print(f"urn:uuid:{credential.id}\t{credential.achievement}\t{state}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    library = _library()
    learners = [args.learner] if args.learner else library.learners()
    issued = 0
    for learner in tqdm(learners, desc="evaluating", unit="learner", disable=len(learners) < 20):
        for credential_id in library.evaluate_learner(learner):
            issued += 1
            print(f"issued urn:uuid:{credential_id} to {learner}")
    print(f"{issued} credential(s) issued to {len(learners)} learner(s) checked", file=sys.stderr)
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    key = _library().rotate_key()
    print(f"new signing key {key.id}")
    return 0


def cmd_status_list(args: argparse.Namespace) -> int:
    try:
        _write_json(_library().status_list_credential(args.list_id), args.out)
    except CredentialsError as exc:
        raise CommandError(str(exc)) from exc
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "credential",
        help="Open Badges 3.0 credentials: issue, verify, revoke, list",
        description="Open Badges 3.0 microcredentials (eddsa-rdfc-2022, verifiable offline).",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    p = verbs.add_parser("achievements", help="list achievement ids, one per line")
    p.set_defaults(func=cmd_achievements)

    p = verbs.add_parser("issue", help="award an achievement by hand (recorded with who and why)")
    p.add_argument("--learner", required=True, help="hub user name of the learner")
    p.add_argument("--achievement", required=True, help="achievement id (see `achievements`)")
    p.add_argument(
        "--out", required=True, help="file to write the signed credential to (- = stdout)"
    )
    p.add_argument("--reason", default="manual award", help="why it is awarded (kept in the audit)")
    p.add_argument("--by", help="who awards it (default: the user running the command)")
    p.add_argument(
        "--email",
        help="the learner's e-mail address: the credential names them by its salted hash "
        "(remembered for their later credentials)",
    )
    p.add_argument("--holder", help="DID of the learner's wallet (credentialSubject.id)")
    p.set_defaults(func=cmd_issue)

    p = verbs.add_parser(
        "verify",
        help="verify a credential offline (exit 0 valid, 1 invalid)",
        description="Verify a credential file offline: proof, issuer key, dates, revocation.",
    )
    p.add_argument("file", help="credential JSON file")
    p.add_argument(
        "--status-list",
        action="append",
        help="status list credential JSON to check revocation (this northlab's own lists "
        "are read from the local database instead; a list past its validUntil is refused)",
    )
    p.add_argument(
        "--did-document",
        help="issuer DID document (for did:web issuers; ignored for this northlab's own DID, "
        "whose keys come from the local database)",
    )
    p.add_argument(
        "--no-local",
        action="store_true",
        help="ignore this server's database (verify like an outside employer would)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument(
        "--recipient",
        metavar="EMAIL_OR_NAME",
        help="also say whether it was issued to this e-mail address or user name "
        "(credentials of this server only)",
    )
    p.set_defaults(func=cmd_verify)

    p = verbs.add_parser(
        "email",
        help="set a learner's e-mail address: later credentials name its salted hash",
    )
    p.add_argument("--learner", required=True, help="hub user name of the learner")
    p.add_argument("--email", required=True, help="the learner's e-mail address")
    p.set_defaults(func=cmd_email)

    p = verbs.add_parser("revoke", help="revoke a credential with a reason")
    p.add_argument("credential", help="credential id (urn:uuid:... or the uuid)")
    p.add_argument("--reason", required=True, help="why it is revoked (kept with the credential)")
    p.add_argument("--by", help="who revokes it (default: the user running the command)")
    p.set_defaults(func=cmd_revoke)

    p = verbs.add_parser("list", help="list a learner's credentials")
    p.add_argument("--learner", required=True)
    p.set_defaults(func=cmd_list)

    p = verbs.add_parser(
        "evaluate", help="re-check stored results against the achievements (idempotent)"
    )
    p.add_argument("--learner", help="only this learner (default: everyone with results)")
    p.set_defaults(func=cmd_evaluate)

    p = verbs.add_parser(
        "rotate-key", help="start signing with a new key (earlier credentials stay valid)"
    )
    p.set_defaults(func=cmd_rotate_key)

    p = verbs.add_parser("status-list", help="write a signed status list credential")
    p.add_argument("list_id", type=int, help="status list number (from credentialStatus)")
    p.add_argument("--out", default="-", help="output file (default: stdout)")
    p.set_defaults(func=cmd_status_list)
