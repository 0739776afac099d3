"""The requirements of the official OB 3.0 AchievementCredential JSON Schema, in our words.

1EdTech publishes ``achievementcredential.json`` (openbadges-specification, gh-pages,
``docs/schema/``) under its specification licence, which does not let us redistribute it,
so the same constraints are written out here for the classes our credentials use: required
properties, the JSON types of every property (a ``type`` is an array that contains the class
name; ``proof``, ``credentialSchema``, ``identifier``, ``related``, ``evidence``,
``alignment`` are arrays; ``name``/``description``/``inLanguage`` are strings; an
``IdentityObject`` and an ``Image`` allow no other property). Draft 2019-09, like theirs.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft201909Validator


def _typed(name: str) -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "contains": {"const": name},
            "items": {"type": "string"}}


_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": _STRING}
_PROFILE = {
    "type": "object",
    "required": ["id", "type"],
    "properties": {
        "id": _STRING, "type": _typed("Profile"), "name": _STRING, "url": _STRING,
        "description": _STRING, "email": _STRING, "image": {"$ref": "#/$defs/Image"},
    },
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2019-09/schema",
    "type": "object",
    "required": ["@context", "id", "type", "credentialSubject", "issuer", "validFrom"],
    "properties": {
        "@context": {
            "type": "array",
            "minItems": 2,
            "items": [
                {"const": "https://www.w3.org/ns/credentials/v2"},
                {"type": "string",
                 "pattern": r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json$"},
            ],
        },
        "id": _STRING,
        "type": {
            "allOf": [
                _typed("VerifiableCredential"),
                {"type": "array", "contains": {"enum": ["AchievementCredential",
                                                        "OpenBadgeCredential"]}},
            ]
        },
        "name": _STRING,
        "description": _STRING,
        "image": {"$ref": "#/$defs/Image"},
        "awardedDate": _STRING,
        "credentialSubject": {"$ref": "#/$defs/AchievementSubject"},
        "evidence": {"type": "array", "items": {
            "type": "object", "required": ["type"],
            "properties": {"id": _STRING, "type": _typed("Evidence"), "name": _STRING}}},
        "issuer": {"oneOf": [_STRING, _PROFILE]},
        "validFrom": {"type": "string", "format": "date-time"},
        "validUntil": {"type": "string", "format": "date-time"},
        "proof": {"type": "array", "items": {
            "type": "object", "required": ["type"],
            "properties": {k: _STRING for k in (
                "type", "created", "cryptosuite", "proofPurpose", "proofValue",
                "verificationMethod")}}},
        "credentialSchema": {"type": "array", "items": {
            "type": "object", "required": ["id", "type"],
            "properties": {"id": _STRING, "type": _STRING}}},
        "credentialStatus": {"type": "object", "required": ["id", "type"],
                             "properties": {"id": _STRING, "type": _STRING}},
    },
    "$defs": {
        "Image": {
            "type": "object", "required": ["id", "type"], "additionalProperties": False,
            "properties": {"id": _STRING, "type": {"const": "Image"}, "caption": _STRING},
        },
        "AchievementSubject": {
            "type": "object",
            "required": ["type", "achievement"],
            "properties": {
                "id": _STRING,
                "type": _typed("AchievementSubject"),
                "achievement": {"$ref": "#/$defs/Achievement"},
                "identifier": {"type": "array", "items": {"$ref": "#/$defs/IdentityObject"}},
                "image": {"$ref": "#/$defs/Image"},
                "narrative": _STRING,
                "result": {"type": "array", "items": {
                    "type": "object", "required": ["type"],
                    "properties": {"type": _typed("Result"), "value": _STRING}}},
            },
        },
        "IdentityObject": {
            "type": "object",
            "required": ["type", "hashed", "identityHash", "identityType"],
            "additionalProperties": False,
            "properties": {
                "type": {"const": "IdentityObject"},
                "hashed": {"type": "boolean"},
                "identityHash": _STRING,
                "identityType": {"anyOf": [
                    {"enum": ["name", "sourcedId", "emailAddress", "phoneNumber", "lisSourcedId",
                              "identifier", "nationalIdentityNumber", "studentId"]},
                    {"type": "string", "pattern": "(ext:)[a-z|A-Z|0-9|.|-|_]+"},
                ]},
                "salt": _STRING,
            },
        },
        "Achievement": {
            "type": "object",
            "required": ["id", "type", "criteria", "description", "name"],
            "properties": {
                "id": _STRING,
                "type": _typed("Achievement"),
                "achievementType": _STRING,
                "alignment": {"type": "array", "items": {
                    "type": "object", "required": ["type", "targetName", "targetUrl"],
                    "properties": {"type": _typed("Alignment"), "targetName": _STRING,
                                   "targetUrl": _STRING}}},
                "creator": _PROFILE,
                "criteria": {"type": "object",
                             "properties": {"id": _STRING, "narrative": _STRING}},
                "description": _STRING,
                "image": {"$ref": "#/$defs/Image"},
                "inLanguage": _STRING,
                "name": _STRING,
                "related": {"type": "array", "items": {
                    "type": "object", "required": ["id", "type"],
                    "properties": {"id": _STRING, "type": _typed("Related"),
                                   "inLanguage": _STRING, "version": _STRING}}},
                "tag": _STRINGS,
                "version": _STRING,
            },
        },
    },
}
VALIDATOR = Draft201909Validator(SCHEMA, format_checker=Draft201909Validator.FORMAT_CHECKER)


def schema_errors(credential: dict[str, Any]) -> list[str]:
    """Where ``credential`` breaks the OB 3.0 JSON Schema's requirements (empty: valid)."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in VALIDATOR.iter_errors(credential)
    ]
