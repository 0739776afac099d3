"""Strict JSON-LD: what is signed is exactly what a reader sees, in every implementation.

PyLD, like every JSON-LD processor, silently drops what does not become RDF: nodes and
types with relative IRIs, keys no context defines, ``null`` values, ``@index``, text
direction. A claim added that way changes nothing in the canonical form, so the signature
still matches. jsonld.js "safe mode" (Digital Bazaar's verifier) refuses such documents;
this module refuses them too, and a little more: values that PyLD and jsonld.js write out
differently (large or integral floating-point numbers, control characters, IRIs with
spaces, ``<``/``>`` or invisible characters), explicit blank node ids (they allow graphs
whose canonicalisation takes exponential time), and documents too deep or too big to be a
credential. Every refusal is a :class:`StrictError` with a sentence naming the path.

A signed credential must also be in *canonical shape*: its ``@context`` exactly one of
:data:`ALLOWED_CONTEXTS`, and the document equal to the compaction of its own expansion.
JSON-LD can write the same RDF many ways (full-IRI keys, ``@nest``, aliases, value
objects, ``@included``); only one of them passes, so whatever a verifier reads from the
JSON is what was signed, and nothing unsigned (an empty list, an id-only node) is shown.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from hub.services.credentials.contexts import OB_V3, VC_V2

#: Deepest nesting, most JSON objects and most values (strings, numbers, list items) a
#: credential may have (ours: depth 6, ~12 objects, ~60 values): the cost cap that keeps
#: canonicalisation quick.
MAX_DEPTH = 24
MAX_OBJECTS = 200
MAX_VALUES = 1000
#: Non-integral numbers both PyLD and jsonld.js write the same way (see :func:`_check_number`).
SAFE_FLOAT_DIGITS = 15
SAFE_FLOAT_RANGE = (1e-6, 1e15)
#: Largest integer both JavaScript and Python read exactly.
MAX_SAFE_INTEGER = 2**53 - 1
KEYWORDS = frozenset(
    {"@context", "@id", "@type", "@value", "@language", "@list", "@set", "@graph",
     "@included", "@nest", "@vocab", "@base", "@version", "@protected", "@container"}
)
#: The only @context values accepted in strict shape: an Open Badge, a status list.
ALLOWED_CONTEXTS = ([VC_V2, OB_V3], [VC_V2])
#: Keywords whose content never reaches the RDF dataset (so it would not be signed).
UNSIGNED_KEYWORDS = frozenset({"@index", "@direction", "@reverse", "@json"})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_IRI_FORBIDDEN = re.compile(r'[\s<>"{}|\\^`]')
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
#: Bidirectional overrides and isolates: they make text read differently than it is stored.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


class StrictError(ValueError):
    """A document that strict JSON-LD refuses; the message names the offending path."""


def _where(path: tuple) -> str:
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return text.lstrip(".") or "(document)"


def _check_text(text: str, path: tuple) -> None:
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs":
            raise StrictError(f"{_where(path)}: broken Unicode (a lone surrogate)")
        if (category == "Cc" and char not in "\t\n\r") or char in _BIDI:
            raise StrictError(
                f"{_where(path)}: invisible control character U+{ord(char):04X}"
            )


def _check_number(value: float | int, path: tuple) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise StrictError(f"{_where(path)}: integer too large to be read the same everywhere")
        return
    if not math.isfinite(value) or value.is_integer() or not _safe_float(value):
        raise StrictError(
            f"{_where(path)}: the number {value!r} is read differently by different tools "
            f"(write integers without a decimal point, other numbers with at most "
            f"{SAFE_FLOAT_DIGITS} digits between {SAFE_FLOAT_RANGE[0]} and {SAFE_FLOAT_RANGE[1]})"
        )


def _safe_float(value: float) -> bool:
    """Few digits, a moderate size, and no tie when rounded to the 16 digits of the
    canonical form (Python rounds ties to even, JavaScript up)."""
    low, high = SAFE_FLOAT_RANGE
    if not low <= abs(value) < high:
        return False
    digits = repr(abs(value)).split("e")[0].replace(".", "").strip("0")
    if len(digits) > SAFE_FLOAT_DIGITS:
        return False
    exact = Decimal(value)
    exponent = exact.adjusted() - 15
    even = exact.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN)
    return even == exact.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def check_json(document: Any, *, shape: bool = False) -> None:
    """Refuse shapes and values before JSON-LD processing (see the module docstring).

    ``shape``: also refuse what a credential in canonical compacted shape never has
    (keywords other than ``@context``, empty lists, the same value twice in a list).
    """
    objects = values = 0
    stack: list[tuple[Any, tuple, int, bool]] = [(document, (), 0, False)]
    while stack:
        value, path, depth, in_context = stack.pop()
        if depth > MAX_DEPTH:
            raise StrictError(f"{_where(path)}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            objects += 1
            if objects > MAX_OBJECTS:
                raise StrictError(f"more than {MAX_OBJECTS} objects: too big to be a credential")
            for key, item in value.items():
                _check_text(key, (*path, key))
                if not in_context and key.startswith("@") and key not in KEYWORDS:
                    raise StrictError(f"{_where((*path, key))}: {key} is not signed")
                if shape and not in_context and key.startswith("@") and (key != "@context" or path):
                    raise StrictError(f"{_where((*path, key))}: write {key} the plain way")
                if not in_context and item is None:
                    raise StrictError(f"{_where((*path, key))}: a null value is not signed")
                stack.append((item, (*path, key), depth + 1, in_context or key == "@context"))
        elif isinstance(value, list):
            if not in_context and shape:
                if not value:
                    raise StrictError(f"{_where(path)}: an empty list is not signed")
                if len({_key(item) for item in value}) != len(value):
                    raise StrictError(f"{_where(path)}: the same value twice is signed once")
            for index, item in enumerate(value):
                if not in_context and item is None:
                    raise StrictError(f"{_where((*path, index))}: a null value is not signed")
                stack.append((item, (*path, index), depth + 1, in_context))
        else:
            values += 1
            if values > MAX_VALUES:
                raise StrictError(f"more than {MAX_VALUES} values: too big to be a credential")
        if isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, int | float):
            _check_number(value, path)
        elif value is not None and not isinstance(value, dict | list):
            raise StrictError(f"{_where(path)}: not a JSON value")


def check_iri(iri: Any, path: tuple) -> None:
    """An absolute IRI that every implementation writes the same way."""
    if not isinstance(iri, str):
        raise StrictError(f"{_where(path)}: an IRI must be text")
    if iri.startswith("_:"):
        raise StrictError(f"{_where(path)}: blank node identifiers are not allowed ({iri})")
    if not _SCHEME.match(iri):
        raise StrictError(f"{_where(path)}: {iri!r} is not an absolute IRI (it would be dropped)")
    if _IRI_FORBIDDEN.search(iri) or _PERCENT.search(iri):
        raise StrictError(f"{_where(path)}: {iri!r} is not a well-formed IRI")
    for char in iri:
        if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cn", "Zs", "Zl", "Zp"):
            raise StrictError(
                f"{_where(path)}: IRI with an invisible character U+{ord(char):04X}"
            )


def check_expanded(expanded: Any, path: tuple = ()) -> None:
    """Refuse what PyLD's RDF conversion would drop from an expanded document."""
    stack: list[tuple[Any, tuple]] = [(expanded, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, list):
            stack.extend((item, (*where, i)) for i, item in enumerate(value))
            continue
        if not isinstance(value, dict):
            continue
        for key, item in value.items():
            here = (*where, key)
            if key in UNSIGNED_KEYWORDS:
                raise StrictError(f"{_where(where)}: {key} is not signed")
            if key == "@id":
                check_iri(item, here)  # expansion keeps only the input's own blank ids
            elif key == "@type":
                for i, kind in enumerate(item if isinstance(item, list) else [item]):
                    check_iri(kind, (*here, i))
            elif key == "@language":
                if not isinstance(item, str) or not _LANGUAGE.match(item):
                    raise StrictError(f"{_where(here)}: {item!r} is not a language tag")
            elif key in ("@value", "@context"):
                continue
            elif key.startswith("@"):
                stack.append((item, here))
            else:
                check_iri(key, here)
                stack.append((item, here))



def check_context(document: dict[str, Any]) -> None:
    """The document's ``@context`` is exactly one of :data:`ALLOWED_CONTEXTS` (no inline
    or added context that could rename what a reader sees)."""
    if document.get("@context") not in ALLOWED_CONTEXTS:
        allowed = " or ".join(json.dumps(context) for context in ALLOWED_CONTEXTS)
        raise StrictError(f"@context must be exactly {allowed}")


def _unwrap(value: Any) -> Any:
    """``value`` with every one-element list replaced by its element."""
    if isinstance(value, list):
        items = [_unwrap(item) for item in value]
        return items[0] if len(items) == 1 else items
    if isinstance(value, dict):
        return {key: _unwrap(item) for key, item in value.items()}
    return value


def check_compacted(document: dict[str, Any], compacted: dict[str, Any]) -> None:
    """``document`` is what compacting its own expansion gives back (a one-element list
    and its element count as the same): every key and value a reader sees is signed, in
    the one spelling the verifier reads."""
    mine = {k: v for k, v in document.items() if k != "@context"}
    theirs = {k: v for k, v in compacted.items() if k != "@context"}
    if _unwrap(mine) != _unwrap(theirs):
        raise StrictError(
            "the credential is not written in its canonical compacted form "
            "(keys as full IRIs, aliases, value objects or nested keywords)"
        )
