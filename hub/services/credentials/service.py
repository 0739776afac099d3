"""The credential library: results in, credentials out, revocation, status lists.

:class:`Credentials` is what the web app and the ``northlab credential`` verbs call; it
holds no per-request state besides a DB session factory.

Manual grading's rules enforced here (threat model: graders/README.md, "Manual grades"):
a stored result with parts a person grades is replaced only by a person's further grading
of it (:func:`update_refusal`; else :class:`ConflictingUpdate`, HTTP 409); a lowering that
leaves a held credential's criteria unmet is logged, never revoked by itself; what counts
toward a credential is ``records.counted``, the gradebook's definition too.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.services.credentials import badge, proof, statuslist
from hub.services.credentials.achievements import Achievement, load_achievements
from hub.services.credentials.contexts import document_loader
from hub.services.credentials.keys import KeyStore, SigningKey
from hub.services.credentials.recipients import Recipients
from hub.services.credentials.verify import Issuer
from hub.services.records import (
    Award,
    Credential,
    IssuerKey,
    Result,
    ResultUpdate,
    StatusList,
    TestResult,
    awaiting,
    counted,
    open_database,
    session_factory,
    utcnow,
)
from northlab.results import has_manual_parts, pending_points, validate_result
from northlab.settings import CredentialSettings

log = logging.getLogger(__name__)


class CredentialsError(ValueError):
    """A request the library refuses (unknown achievement, unknown credential ...)."""


class ConflictingUpdate(CredentialsError):
    """A different record for a stored submission that is not a person's further grading
    of it (the results API answers 409 with this one sentence)."""


@dataclass(frozen=True)
class Intake:
    """Outcome of :meth:`Credentials.record_result`."""

    created: bool  # False: the same (learner, lab, submission_id) was already stored
    result_id: int
    issued: list[str]  # ids of credentials issued because of this result
    updated: bool = False  # it replaced the stored record of the same submission



#: How long a signed status list stays valid (verifiers then need a fresh copy).
STATUS_LIST_VALIDITY = timedelta(days=1)


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` names this machine only (localhost, 127.0.0.0/8, ::1)."""
    host = (urlparse(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


#: What a person's grading changes in a manually graded test; all else stays as stored.
GRADING_FIELDS = ("points", "passed", "feedback", "pending")
#: Totals recomputed from those (and when it was graded).
TOTAL_FIELDS = ("score", "pending_points", "notebooks", "graded_at")
EPSILON = 1e-6


def _frame(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` without what a person's grading may change."""
    tests = [{k: v for k, v in t.items() if not (t.get("manual") and k in GRADING_FIELDS)}
             for t in record.get("tests") or []]
    return {**{k: v for k, v in record.items() if k not in TOTAL_FIELDS}, "tests": tests}


def update_refusal(stored: dict[str, Any], record: dict[str, Any]) -> str | None:
    """Why ``record`` may not replace ``stored`` (same learner, lab and submission), or
    None. The rule: the two are equal but for the manual tests' points, feedback and
    pending flags and the totals recomputed from them; graded strictly later; nothing
    graded becomes pending again (pending points never increase); the same course."""
    if record.get("course") != stored.get("course"):
        return "The update names another course than the stored result."
    if _frame(record) != _frame(stored):
        return ("The update changes more than the manually graded parts' points, feedback "
                "and pending flags.")
    new_time, old_time = _parse_time(record["graded_at"]), _parse_time(stored["graded_at"])
    if new_time is None or old_time is None or new_time <= old_time:
        return "The update is not graded later than the stored result (graded_at)."
    change: dict[str | None, float] = {}
    for old, new in zip(stored["tests"], record["tests"], strict=True):
        if new.get("pending") and not old.get("pending"):
            return f"The update makes the graded part {new['name']!r} pending again."
        if not 0 <= float(new["points"]) <= float(new["max_points"]) + EPSILON:
            return f"The update gives {new['name']!r} points outside 0 to its maximum."
        name = new.get("notebook")
        change[name] = change.get(name, 0.0) + float(new["points"]) - float(old["points"])
    if abs(float(record["score"]) - float(stored["score"]) - sum(change.values())) > EPSILON:
        return "The update's score is not the stored score changed by the parts' points."
    pending = _pending_of(record["tests"])
    if abs(float(record.get("pending_points", pending)) - pending) > EPSILON:
        return "The update's pending points are not those of its pending parts."
    if pending_points(record) > pending_points(stored) + EPSILON:
        return "The update has more pending points than the stored result."
    if stored.get("notebooks") is not None or record.get("notebooks") is not None:
        expected = [{**nb, "score": float(nb["score"]) + change.get(nb["name"], 0.0),
                     "pending_points": _pending_of(record["tests"], nb["name"])}
                    for nb in stored.get("notebooks") or []]
        if not _same_numbers(expected, record.get("notebooks") or []):
            return "The update's notebook totals are not recomputed from its parts."
    return None


def _pending_of(tests: list[dict[str, Any]], notebook: str | None = None, /) -> float:
    return sum(float(t["max_points"]) for t in tests
               if t.get("pending") and (notebook is None or t.get("notebook") == notebook))


def _same_numbers(left: Any, right: Any) -> bool:
    """Equal JSON values, numbers within :data:`EPSILON`."""
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return abs(float(left) - float(right)) <= EPSILON
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same_numbers(left[k], right[k])
                                                    for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same_numbers, left, right))
    return left == right


class Credentials:
    """Results store and Open Badges issuer for one northlab installation."""

    def __init__(
        self,
        settings: CredentialSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
        migrate: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock
        settings.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        settings.folder.chmod(0o700)
        self.engine = open_database(settings.db_url, migrate=migrate)
        self.sessions = session_factory(self.engine)
        self.keys = KeyStore(
            settings.folder / "keys", method=settings.did_method, web_domain=settings.did_web_domain
        )
        self.achievements: dict[str, Achievement] = load_achievements(settings.labs_root)
        self.loader = document_loader(settings.node_root)
        self.recipients = Recipients(settings.folder)

    # -- results ---------------------------------------------------------------------------

    def record_result(self, record: dict[str, Any], *, reported_by: str | None) -> Intake:
        """Store a result once (idempotent on learner, lab, submission_id) and award.

        A different record for a stored submission with parts a person grades must be a
        person's further grading of it (:func:`update_refusal`): it then replaces the
        stored one, recorded in ``result_updates``; otherwise :class:`ConflictingUpdate`.
        A repeat of a submission without such parts leaves the stored one as it is.
        Raises northlab.results.InvalidResult for a bad record.
        """
        validate_result(record)
        key = (record["learner"], record["lab"], record["submission_id"])
        with self.sessions() as session:
            existing = self._find_result(session, *key)
            if existing is not None:
                if record == existing.record or not has_manual_parts(existing.record):
                    return Intake(False, existing.id, [])
                refusal = update_refusal(existing.record, record)
                if refusal:
                    log.warning("update of result %s (%s, %s, %s) by %s refused: %s",
                                existing.id, *key, reported_by, refusal)
                    raise ConflictingUpdate(refusal)
                previous_score = existing.score
                self._replace(session, existing, record, reported_by)
                session.commit()
                if existing.score < previous_score:
                    self._flag_lowering(session, existing, previous_score, reported_by)
                issued = self.evaluate(session, record["learner"])
                return Intake(False, existing.id, issued, updated=True)
            result = self._result_row(record, reported_by)
            session.add(result)
            try:
                session.commit()
            except IntegrityError:  # a concurrent delivery of the same result won the race
                session.rollback()
                return Intake(False, self._find_result(session, *key).id, [])
            issued = self.evaluate(session, record["learner"])
            return Intake(True, result.id, issued)

    def _flag_lowering(self, session: Session, result: Result, previous: float,
                       reported_by: str | None) -> None:
        """Log every credential the learner holds whose criteria the lowered ``result`` no
        longer meets: nothing is revoked by itself (a person decides), the lead sees the
        warning in the service's log and the change in ``result_updates``."""
        percents = {lab: value[0] for lab, value in
                    self.best_percent(session, result.learner).items()}
        for credential in session.scalars(select(Credential).where(
                Credential.learner == result.learner, Credential.revoked_at.is_(None))):
            achievement = self.achievements.get(credential.achievement)
            if (achievement is None or result.lab not in achievement.labs
                    or achievement.qualifying_labs(percents) is not None):
                continue
            log.warning(
                "credential %s (%s) of %s no longer meets its criteria: result %s (%s) "
                "lowered from %g to %g by %s; revoke it (northlab credential revoke) if the "
                "grade stands", credential.id, achievement.id, result.learner, result.id,
                result.lab, previous, result.score, reported_by)

    def _replace(
        self, session: Session, stored: Result, record: dict[str, Any], reported_by: str | None
    ) -> None:
        """Put ``record`` in place of ``stored`` (same row id) and audit who did it when."""
        fresh = self._result_columns(record, stored.reported_by)
        if fresh["score"] < stored.score:
            log.warning(
                "result %s (%s, %s, %s) lowered from %g to %g by %s",
                stored.id, stored.learner, stored.lab, stored.submission_id,
                stored.score, fresh["score"], reported_by,
            )
        session.add(
            ResultUpdate(
                result_id=stored.id,
                updated_at=self.clock(),
                updated_by=reported_by,
                previous_score=stored.score,
                previous_pending_points=stored.pending_points,
                new_score=fresh["score"],
                new_pending_points=fresh["pending_points"],
                previous_record=stored.record,
            )
        )
        for column in ("graded_at", "score", "percent", "record", "pending_points"):
            setattr(stored, column, fresh[column])
        stored.tests = self._test_rows(record)

    @staticmethod
    def _find_result(session: Session, learner: str, lab: str, submission: str) -> Result | None:
        return session.scalars(
            select(Result).where(
                Result.learner == learner, Result.lab == lab, Result.submission_id == submission
            )
        ).first()

    @classmethod
    def _result_row(cls, record: dict[str, Any], reported_by: str | None) -> Result:
        return Result(**cls._result_columns(record, reported_by), tests=cls._test_rows(record))

    @staticmethod
    def _result_columns(record: dict[str, Any], reported_by: str | None) -> dict[str, Any]:
        max_score = float(record["max_score"])
        return dict(
            learner=record["learner"],
            lab=record["lab"],
            track=record["track"],
            course=record.get("course"),
            submission_id=record["submission_id"],
            submitted_at=_parse_time(record.get("submitted_at")),
            graded_at=_parse_time(record["graded_at"]),
            score=float(record["score"]),
            max_score=max_score,
            percent=100.0 * float(record["score"]) / max_score if max_score else 0.0,
            duration=float(record["duration"]),
            isolation=record["isolation"],
            late=bool(record.get("late", False)),
            error_code=(record.get("error") or {}).get("code"),
            record=record,
            reported_by=reported_by,
            pending_points=pending_points(record),
        )

    @staticmethod
    def _test_rows(record: dict[str, Any]) -> list[TestResult]:
        return [
            TestResult(
                position=i,
                name=t["name"],
                points=float(t["points"]),
                max_points=float(t["max_points"]),
                passed=bool(t["passed"]),
                hidden=bool(t.get("hidden", False)),
                feedback=t["feedback"],
                manual=bool(t.get("manual", False)),
                pending=bool(t.get("pending", False)),
            )
            for i, t in enumerate(record["tests"])
        ]

    def best_percent(self, session: Session, learner: str) -> dict[str, tuple[float, int]]:
        """``{lab: (best percent, result id)}`` over the learner's results that count
        (records.counted, the gradebook's rule too): a result awaiting a person's grading
        or with an error never counts (its credentials wait for the grades)."""
        rows = session.execute(
            select(Result.lab, Result.percent, Result.id)
            .where(Result.learner == learner, counted())
            .order_by(Result.lab, Result.percent.desc(), Result.id)
        ).all()
        best: dict[str, tuple[float, int]] = {}
        for lab, percent, result_id in rows:
            best.setdefault(lab, (percent, result_id))
        return best

    @staticmethod
    def awaiting_labs(session: Session, learner: str) -> set[str]:
        """Labs of ``learner`` with a result a person has not finished grading (and no
        later counted result: the gradebook's rule, records.awaiting)."""
        return set(session.scalars(select(Result.lab).where(Result.learner == learner,
                                                            awaiting())))

    def evaluate(self, session: Session, learner: str) -> list[str]:
        """Issue every achievement whose criteria ``learner`` now meets and does not hold.

        With a public URL that cannot be signed (:meth:`check_can_issue`) nothing is issued
        and the reason is logged: results are kept, and ``northlab credential evaluate``
        issues what is due once the URL is set.
        """
        try:
            self.check_can_issue()
        except CredentialsError as exc:
            log.warning("%s", exc)
            return []
        best = self.best_percent(session, learner)
        percents = {lab: value[0] for lab, value in best.items()}
        issued = []
        for achievement in self.achievements.values():
            labs = achievement.qualifying_labs(percents)
            if labs is None or self._holds(session, learner, achievement.id):
                continue
            credential = self._issue(
                session,
                learner,
                achievement,
                kind="criteria",
                awarded_by="northlab",
                reason=f"criteria met: {', '.join(labs)}",
                evidence={"results": [best[lab][1] for lab in labs]},
            )
            issued.append(credential.id)
        session.commit()
        return issued

    def learners(self) -> list[str]:
        """Every learner with at least one stored result."""
        with self.sessions() as session:
            return list(session.scalars(select(Result.learner).distinct().order_by(Result.learner)))

    def evaluate_learner(self, learner: str) -> list[str]:
        """Re-check ``learner`` against every achievement (e.g. after adding one)."""
        with self.sessions() as session:
            return self.evaluate(session, learner)

    @staticmethod
    def _holds(session: Session, learner: str, achievement: str) -> bool:
        """Whether ``learner`` was ever issued ``achievement``; a revoked one counts too, so
        an instructor's revocation is not undone by the next result (re-award by hand)."""
        found = session.scalars(
            select(Credential.id).where(
                Credential.learner == learner, Credential.achievement == achievement
            )
        ).first()
        return found is not None

    # -- issuing ---------------------------------------------------------------------------

    def achievement(self, achievement_id: str) -> Achievement:
        try:
            return self.achievements[achievement_id]
        except KeyError:
            known = ", ".join(self.achievements) or "none"
            raise CredentialsError(
                f"unknown achievement {achievement_id!r} (known: {known})"
            ) from None

    def award(
        self,
        learner: str,
        achievement_id: str,
        *,
        awarded_by: str,
        reason: str,
        holder: str | None = None,
    ) -> Credential:
        """Manual award, regardless of criteria; recorded with who and why.

        ``holder``: the DID of the learner's wallet, signed in as ``credentialSubject.id``.
        """
        if not learner.strip():
            raise CredentialsError("the learner name is empty")
        if not reason.strip():
            raise CredentialsError("a manual award needs a reason")
        achievement = self.achievement(achievement_id)
        with self.sessions() as session:
            credential = self._issue(
                session,
                learner,
                achievement,
                kind="manual",
                awarded_by=awarded_by,
                reason=reason,
                holder=holder,
            )
            session.commit()
            return credential

    def check_can_issue(self) -> None:
        """Refuse to sign ids and links that only this machine can open (see settings)."""
        if is_loopback_url(self.settings.public_url) and not self.settings.allow_loopback:
            raise CredentialsError(
                f"refusing to issue: the public URL {self.settings.public_url} is a loopback "
                "address that employers cannot open; set public_url (NORTHLAB_PUBLIC_URL), or "
                "NORTHLAB_CREDENTIALS_ALLOW_LOOPBACK=1 for a demo"
            )

    def _status_slot(self, session: Session, key: SigningKey) -> tuple[StatusList, int]:
        status_list = session.scalars(
            select(StatusList)
            .where(StatusList.key_id == key.id, StatusList.allocated < StatusList.size)
            .order_by(StatusList.id)
        ).first()
        if status_list is None:
            status_list = StatusList(key_id=key.id, size=statuslist.LIST_SIZE, allocated=0)
            session.add(status_list)
            session.flush()
        index = statuslist.index_for(status_list.allocated, status_list.size)
        status_list.allocated += 1
        return status_list, index

    def status_list_url(self, list_id: int) -> str:
        return f"{self.settings.public_url}/status/{list_id}"

    def _issue(
        self,
        session: Session,
        learner: str,
        achievement: Achievement,
        *,
        kind: str,
        awarded_by: str,
        reason: str,
        evidence: dict[str, Any] | None = None,
        holder: str | None = None,
    ) -> Credential:
        self.check_can_issue()
        if holder is not None and not holder.startswith("did:"):
            raise CredentialsError(f"the holder {holder!r} is not a DID (did:...)")
        key = self.keys.active(session)
        status_list, index = self._status_slot(session, key)
        now = self.clock()
        years = self.settings.valid_years
        valid_until = now + timedelta(days=365 * years) if years else None
        credential_id = str(uuid.uuid4())
        document = badge.open_badge_credential(
            credential_id=credential_id,
            issuer=badge.issuer_profile(
                key.controller,
                self.settings.issuer_name,
                self.settings.issuer_url or self.settings.public_url,
            ),
            achievement=badge.achievement_document(achievement, self.settings.public_url),
            identity=self.recipients.identity(learner, credential_id),
            holder=holder,
            description=achievement.description["en"],
            valid_from=now,
            valid_until=valid_until,
            status_list_url=self.status_list_url(status_list.id),
            status_index=index,
        )
        credential = Credential(
            id=credential_id,
            learner=learner,
            achievement=achievement.id,
            issued_at=now,
            valid_until=valid_until,
            key_id=key.id,
            status_list_id=status_list.id,
            status_index=index,
            document=proof.sign(document, key, created=now, loader=self.loader),
        )
        session.add(credential)
        session.add(
            Award(
                credential_id=credential_id,
                learner=learner,
                achievement=achievement.id,
                kind=kind,
                awarded_by=awarded_by,
                reason=reason,
                evidence=evidence or {},
                created_at=now,
            )
        )
        session.flush()
        return credential

    # -- reading, revocation, keys ----------------------------------------------------------

    def credentials_of(self, learner: str) -> list[Credential]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(Credential)
                    .where(Credential.learner == learner)
                    .order_by(Credential.issued_at.desc())
                )
            )

    def get(self, credential_id: str) -> Credential:
        credential_id = credential_id.removeprefix("urn:uuid:")
        with self.sessions() as session:
            credential = session.get(Credential, credential_id)
            if credential is None:
                raise CredentialsError(f"no credential {credential_id}")
            return credential

    def revoke(self, credential_id: str, *, revoked_by: str, reason: str) -> Credential:
        """Set the credential's revocation bit (idempotent; the first reason is kept)."""
        if not reason.strip():
            raise CredentialsError("revoking needs a reason")
        with self.sessions() as session:
            credential = session.get(Credential, credential_id.removeprefix("urn:uuid:"))
            if credential is None:
                raise CredentialsError(f"no credential {credential_id}")
            if credential.revoked_at is None:
                credential.revoked_at = self.clock()
                credential.revoked_by = revoked_by
                credential.revocation_reason = reason
                session.commit()
            return credential

    def status_list_credential(self, list_id: int) -> dict[str, Any]:
        """The signed BitstringStatusListCredential of list ``list_id`` (fresh each call)."""
        with self.sessions() as session:
            status_list = session.get(StatusList, list_id)
            if status_list is None:
                raise CredentialsError(f"no status list {list_id}")
            revoked = session.scalars(
                select(Credential.status_index).where(
                    Credential.status_list_id == list_id, Credential.revoked_at.is_not(None)
                )
            ).all()
            key = self.keys.signing_key(session, status_list.key_id)
            now = self.clock()
            document = badge.status_list_credential(
                url=self.status_list_url(list_id),
                issuer=key.controller,
                valid_from=now,
                valid_until=now + STATUS_LIST_VALIDITY,
                encoded_list=statuslist.encode(revoked, status_list.size),
            )
            return proof.sign(document, key, created=now, loader=self.loader)

    def status_list_id(self, url: str) -> int | None:
        """The local list id of a status list URL of this service, else None."""
        prefix = f"{self.settings.public_url}/status/"
        tail = url.removeprefix(prefix)
        return int(tail) if url.startswith(prefix) and tail.isdigit() else None

    def rotate_key(self) -> SigningKey:
        """New signing key; earlier credentials keep verifying with the key they name."""
        with self.sessions() as session:
            key = self.keys.create(session)
            session.commit()
            return key

    def known_keys(self) -> dict[str, tuple[str, str]]:
        """``{verification method: (controller, publicKeyMultibase)}`` of every issuer key."""
        with self.sessions() as session:
            rows = session.scalars(select(IssuerKey)).all()
            return {row.id: (row.controller, row.public_key_multibase) for row in rows}

    def issuers(self) -> Issuer:
        """Who counts as this northlab (every key it ever had) and as a known issuer."""
        own = {controller for controller, _ in self.known_keys().values()}

        def stored(credential_id: str) -> bool:
            with self.sessions() as session:
                return session.get(Credential, credential_id) is not None

        return Issuer(
            own_dids=frozenset(own),
            trusted_dids=frozenset(self.settings.trusted_issuers) - own,
            own_name=self.settings.issuer_name,
            own_url=self.settings.public_url,
            stored=stored,
        )

    def did_document(self) -> dict[str, Any]:
        with self.sessions() as session:
            return self.keys.did_document(session)

    def counts(self) -> dict[str, int]:
        with self.sessions() as session:
            return {
                "results": session.scalar(select(func.count(Result.id))) or 0,
                "credentials": session.scalar(select(func.count(Credential.id))) or 0,
            }
