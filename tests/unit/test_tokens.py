"""Resume tokens (didmeta.server.query.tokens): opaque, bounded, bound to the query that issued them."""

from __future__ import annotations

import base64

import pytest

from didmeta.errors import InvalidArgument
from didmeta.identifiers import DidKey
from didmeta.server.query import tokens

QUERY = tokens.fingerprint(b"scope=mc,filter=run>5")
OTHER = tokens.fingerprint(b"scope=mc,filter=run>6")


def test_fingerprint_depends_on_the_request() -> None:
    assert QUERY != OTHER
    assert tokens.fingerprint(b"same") == tokens.fingerprint(b"same")


@pytest.mark.parametrize(
    ("delivered", "last"),
    [
        (1, DidKey("mc", "ds1")),
        (0, DidKey("a", "b")),
        (2**40, DidKey("user.jdoe", "dir/sub/file_1.root")),
        (12345, DidKey("s" * 25, "n" * 250)),
    ],
)
def test_round_trip(delivered: int, last: DidKey) -> None:
    token = tokens.encode(QUERY, delivered, last)
    assert tokens.decode(token, QUERY) == (delivered, last)


def test_token_is_url_safe_text() -> None:
    token = tokens.encode(QUERY, 7, DidKey("mc", "name/with/slashes-and_dots.x"))
    assert token
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_token_size_is_bounded_whatever_the_query() -> None:
    longest = tokens.encode(QUERY, 2**63 - 1, DidKey("s" * 25, "n" * 250))
    assert len(base64.urlsafe_b64decode(longest + "=" * (-len(longest) % 4))) <= 310
    assert len(longest) <= 420


def test_token_from_another_query_is_refused() -> None:
    token = tokens.encode(QUERY, 3, DidKey("mc", "ds3"))
    with pytest.raises(InvalidArgument) as info:
        tokens.decode(token, OTHER)
    assert info.value.reason == "PAGE_TOKEN_MISMATCH"
    assert info.value.field_violations[0].field == "page_token"


@pytest.mark.parametrize("token", ["", "garbage!!", "AAAA", "x" * 10, "%%%%", "A" * 37])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        tokens.decode(token, QUERY)
    assert info.value.reason == "INVALID_PAGE_TOKEN"
    assert info.value.field_violations[0].field == "page_token"


def test_truncated_token_is_refused() -> None:
    token = tokens.encode(QUERY, 3, DidKey("mc", "ds3"))
    with pytest.raises(InvalidArgument):
        tokens.decode(token[:20], QUERY)


def test_token_with_another_version_is_refused() -> None:
    token = tokens.encode(QUERY, 3, DidKey("mc", "ds3"))
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[0] = 99
    forged = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(InvalidArgument) as info:
        tokens.decode(forged, QUERY)
    assert info.value.reason == "INVALID_PAGE_TOKEN"


def test_token_with_an_empty_name_is_refused() -> None:
    token = tokens.encode(QUERY, 3, DidKey("mc", ""))
    with pytest.raises(InvalidArgument):
        tokens.decode(token, QUERY)


def test_token_with_a_scope_length_beyond_the_data_is_refused() -> None:
    token = tokens.encode(QUERY, 3, DidKey("mc", "ds3"))
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[25] = 200  # scope length byte points past the end: the "name" would be empty
    forged = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(InvalidArgument):
        tokens.decode(forged, QUERY)
