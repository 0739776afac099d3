"""Unsigned Open Badges 3.0 documents: the OpenBadgeCredential and its status list credential.

Every term used here is defined by the VC 2.0 or OB 3.0 contexts (the signer runs in strict
mode, so a typo fails loudly instead of leaving a field unsigned). Every field the OB 3.0
JSON Schema types as a string is one language (``inLanguage``, English by default); each
other language version of the achievement (French, and e.g. Inuktitut when the achievement
has it: :attr:`Achievement.languages`) is a ``related`` Achievement served by this service,
and the badge image carries every name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.services.credentials.achievements import Achievement
from hub.services.credentials.contexts import OB_V3, VC_V2
from hub.services.credentials.image import badge_data_iri
from hub.services.credentials.proof import xsd_datetime

#: The official OB 3.0 JSON Schema of an AchievementCredential (VC JSON Schema "JsonSchema").
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
    "ob_v3p0_achievementcredential_schema.json"
)
def achievement_url(public_url: str, achievement_id: str, language: str = "en") -> str:
    base = f"{public_url}/achievements/{achievement_id}"
    return base if language == "en" else f"{base}/{language}"


def achievement_document(
    achievement: Achievement, public_url: str, language: str = "en"
) -> dict[str, Any]:
    """The OB 3.0 Achievement in ``language``, pointing at its other language versions."""
    document: dict[str, Any] = {
        "id": achievement_url(public_url, achievement.id, language),
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": achievement.name[language],
        "description": achievement.description[language],
        "criteria": {"narrative": achievement.narrative[language]},
        "image": {
            "id": badge_data_iri(achievement),
            "type": "Image",
            "caption": achievement.name[language],
        },
        "inLanguage": language,
        "related": [
            {
                "id": achievement_url(public_url, achievement.id, other),
                "type": ["Related"],
                "inLanguage": other,
            }
            for other in achievement.languages
            if other != language
        ],
    }
    if achievement.tags:
        document["tag"] = list(achievement.tags)
    return document


def issuer_profile(did: str, name: str, url: str) -> dict[str, Any]:
    return {"id": did, "type": ["Profile"], "name": name, "url": url}


def open_badge_credential(
    *,
    credential_id: str,
    issuer: dict[str, Any],
    achievement: dict[str, Any],
    identity: dict[str, Any],
    holder: str | None,
    description: str,
    valid_from: datetime,
    valid_until: datetime | None,
    status_list_url: str,
    status_index: int,
) -> dict[str, Any]:
    """The unsigned credential; the learner is ``identity`` (a hashed IdentityObject) and,
    when they gave one, the ``holder`` DID of their wallet (``credentialSubject.id``)."""
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [identity],
        "achievement": achievement,
    }
    if holder:
        subject = {"id": holder, **subject}
    document: dict[str, Any] = {
        "@context": [VC_V2, OB_V3],
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "description": description,
        "issuer": issuer,
        "validFrom": xsd_datetime(valid_from),
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB_SCHEMA, "type": "JsonSchema"}],
        "credentialStatus": {
            "id": f"{status_list_url}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": status_list_url,
        },
    }
    if valid_until is not None:
        document["validUntil"] = xsd_datetime(valid_until)
    return document


def status_list_credential(
    *, url: str, issuer: str, valid_from: datetime, valid_until: datetime, encoded_list: str
) -> dict[str, Any]:
    """A BitstringStatusListCredential, valid until ``valid_until`` (verifiers refuse a
    stale copy after that: a list saved before a revocation does not hide it for long)."""
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": xsd_datetime(valid_from),
        "validUntil": xsd_datetime(valid_until),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list,
        },
    }
