"""Resume tokens: opaque, bounded, and bound to the query that issued them.

Layout before base64url: version byte, 16-byte query fingerprint, delivered count (8 bytes),
scope length (1 byte), scope, name (UTF-8). At most ~300 bytes whatever the query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct

from didmeta.errors import InvalidArgument
from didmeta.identifiers import DidKey, validate_did
from didmeta.values import INT64_MAX

_VERSION = 1
_HEADER = struct.Struct(">B16sQB")


def fingerprint(canonical_request: bytes) -> bytes:
    return hashlib.blake2b(canonical_request, digest_size=16).digest()


def encode(query_fingerprint: bytes, delivered: int, last: DidKey) -> str:
    scope = last.scope.encode()
    raw = _HEADER.pack(_VERSION, query_fingerprint, delivered, len(scope)) + scope + last.name.encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, query_fingerprint: bytes) -> tuple[int, DidKey]:
    """(delivered, last DID) of a token; INVALID_ARGUMENT if it is malformed or from another query."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        version, token_fingerprint, delivered, scope_length = _HEADER.unpack_from(raw)
        rest = raw[_HEADER.size :]
        last = DidKey(rest[:scope_length].decode(), rest[scope_length:].decode())
    except (binascii.Error, struct.error, UnicodeDecodeError, ValueError):
        raise InvalidArgument.for_field("page_token", "malformed resume token", reason="INVALID_PAGE_TOKEN") from None
    if version != _VERSION or delivered > INT64_MAX:
        raise InvalidArgument.for_field("page_token", "malformed resume token", reason="INVALID_PAGE_TOKEN")
    try:
        validate_did(last.scope, last.name)
    except InvalidArgument:
        raise InvalidArgument.for_field("page_token", "malformed resume token", reason="INVALID_PAGE_TOKEN") from None
    if token_fingerprint != query_fingerprint:
        raise InvalidArgument.for_field(
            "page_token", "the resume token belongs to a different query", reason="PAGE_TOKEN_MISMATCH"
        )
    return delivered, last
