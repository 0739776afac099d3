"""Unsigned Open Badges 3.0 documents: the OpenBadgeCredential and its status list credential.

Every term used here is defined by the VC 2.0 or OB 3.0 contexts (the signer runs in safe
mode, so a typo fails loudly instead of leaving a field unsigned). Texts are bilingual
("English / French") because a credential is one document read in either language.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from hub.services.credentials.achievements import Achievement
from hub.services.credentials.contexts import OB_V3, VC_V2
from hub.services.credentials.proof import xsd_datetime


def bilingual(text: dict[str, str], separator: str = " / ") -> str:
    return separator.join(dict.fromkeys([text["en"], text["fr"]]))


def identity_hash(learner: str, salt: str) -> str:
    """OB 3.0 IdentityHash: ``sha256$`` + hex SHA-256 of the identifier followed by the salt."""
    return "sha256$" + hashlib.sha256((learner + salt).encode()).hexdigest()


def achievement_document(achievement: Achievement, public_url: str) -> dict[str, Any]:
    return {
        "id": f"{public_url}/achievements/{achievement.id}",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": bilingual(achievement.name),
        "description": bilingual(achievement.description, "\n\n"),
        "criteria": {"narrative": bilingual(achievement.narrative, "\n\n")},
        "tag": list(achievement.tags),
    }


def issuer_profile(did: str, name: str, url: str) -> dict[str, Any]:
    return {"id": did, "type": ["Profile"], "name": name, "url": url}


def open_badge_credential(
    *,
    credential_id: str,
    issuer: dict[str, Any],
    achievement: dict[str, Any],
    learner: str,
    salt: str,
    valid_from: datetime,
    valid_until: datetime | None,
    status_list_url: str,
    status_index: int,
) -> dict[str, Any]:
    """The unsigned credential for ``learner`` (identified only by a salted hash)."""
    document: dict[str, Any] = {
        "@context": [VC_V2, OB_V3],
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "issuer": issuer,
        "validFrom": xsd_datetime(valid_from),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": identity_hash(learner, salt),
                    "identityType": "identifier",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": achievement,
        },
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
    *, url: str, issuer: str, valid_from: datetime, encoded_list: str
) -> dict[str, Any]:
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": xsd_datetime(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list,
        },
    }
