"""W3C Bitstring Status List (revocation): encoding and index allocation.

A list is 131072 bits (16 KiB, the spec's minimum for herd privacy), GZIP-compressed and
multibase base64url-encoded (``u`` prefix). Bit 0 is the most significant bit of byte 0.
Indexes are handed out in a scrambled but collision-free order (an odd stride modulo a
power of two), so a credential's index says nothing about when it was issued.
"""

from __future__ import annotations

import base64
import gzip
import zlib
from collections.abc import Iterable

LIST_SIZE = 131072
#: Largest decompressed list a verifier accepts (128 times the minimum, 16 M entries): a
#: gzip bomb stops there.
MAX_LIST_BYTES = 128 * LIST_SIZE // 8
_STRIDE = 40503  # odd, hence coprime with the power-of-two list size


def index_for(slot: int, size: int = LIST_SIZE) -> int:
    """The status list index of the ``slot``-th credential put on a list."""
    if not 0 <= slot < size:
        raise ValueError("status list is full")
    return (slot * _STRIDE + 7919) % size


def encode(set_bits: Iterable[int], size: int = LIST_SIZE) -> str:
    """``encodedList`` with the given indexes set."""
    bits = bytearray(size // 8)
    for index in set_bits:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decode(encoded_list: str, limit: int = MAX_LIST_BYTES) -> bytes:
    """The bits of an ``encodedList``; ValueError if malformed, truncated or over ``limit``."""
    if not encoded_list.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u...')")
    body = encoded_list[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip only
        bits = inflater.decompress(compressed, limit + 1)
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"encodedList cannot be decoded: {exc}") from exc
    if len(bits) > limit:
        raise ValueError(f"encodedList is larger than {limit // 1024} KB once decompressed")
    if not inflater.eof or inflater.unused_data:
        raise ValueError("encodedList cannot be decoded: truncated or trailing data")
    return bits


def is_set(encoded_list: str, index: int) -> bool:
    """Whether bit ``index`` is set in an ``encodedList``; ValueError if malformed."""
    bits = decode(encoded_list)
    if not 0 <= index < len(bits) * 8:
        raise ValueError("status list index out of range")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
