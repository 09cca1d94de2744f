"""The properties of test_rpc_properties.py with token authentication on (issue 12).

A `didmeta serve` process with auth.mode=token (HS256) holds scopes `hp` and `hq` owned by alice,
and in them embargoed DIDs: `hp:sealed` (a dataset under `hp:c`, RECURSIVE embargo) with its file
`hp:sealed.kid`, and `hq:sealed` (a plain embargo). Their metadata values, checksums and sizes are
distinctive. Every generated request of every RPC (and raw bytes) is sent with no token and with a
valid token of `bob`, who holds no right on these scopes (reads are open to authenticated callers):
* the status is never UNKNOWN, INTERNAL or UNAVAILABLE;
* the fingerprint of EVERY table of the catalogue (DIDs, metadata, contents, history, embargoes) is
  unchanged after every request, refused or not;
* no response (message bytes, error details, trailing metadata) contains an embargoed DID's name or
  metadata values, unless the request itself contained that text (an error may echo the DID asked for).
Examples per RPC and caller: DIDMETA_HYPOTHESIS_EXAMPLES (default 25: the whole file takes about
20 s). SQLite only: the rights and the embargo are compiled into the same queries on PostgreSQL,
which tests/access and tests/conformance cover.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import MethodDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete

from didmeta.client import LoadChunk, NewDid
from didmeta.server.store.schema import saved_queries
from tests.property.strategies import EXAMPLES, SCOPES, messages
from tests.property.test_rpc_properties import FORBIDDEN, METHODS, request_class
from tests.support.auth import ISSUER, SECRET, hs256_token
from tests.support.checks import catalogue_fingerprint, engine_for
from tests.support.databases import new_sqlite_database
from tests.support.server import ServerProcess

HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
SEALED_MD5 = "5ea1ed005ea1ed005ea1ed005ea1ed00"
SEALED_BYTES = 987_654_321_987
SEALED_VALUE = "classified-7731"
#: Text an embargoed DID would reveal: its name, its metadata values, its checksum, its size (as a
#: protobuf varint, as decimal text and as a little-endian int64 as in Arrow record batches).
SECRETS: tuple[bytes, ...] = (
    b"sealed",
    SEALED_VALUE.encode(),
    b"top-secret-note",
    SEALED_MD5.encode(),
    str(SEALED_BYTES).encode(),
    struct.pack("<q", SEALED_BYTES),
)
CALLERS = ["anonymous", "bob"]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


SECRETS += (_varint(SEALED_BYTES),)


@dataclass
class Answer:
    code: grpc.StatusCode
    payload: bytes  # response messages, error details and trailing metadata, concatenated


@dataclass
class AuthLive:
    channel: grpc.Channel
    engine: Engine

    def call(self, method: MethodDescriptor, body: Any, token: str | None, *, serialize: bool = True) -> Answer:
        """Send one request with `token` (None: no authorization metadata); keep every byte of the answer."""
        path = f"/{method.containing_service.full_name}/{method.name}"
        serializer: Callable[[Any], bytes] | None = (lambda m: m.SerializeToString()) if serialize else None
        metadata = (("authorization", f"Bearer {token}"),) if token else ()
        parts: list[bytes] = []
        try:
            if method.client_streaming:
                parts.append(
                    self.channel.stream_unary(path, serializer, None)(iter([body]), timeout=60, metadata=metadata)
                )
            elif method.server_streaming:
                parts.extend(self.channel.unary_stream(path, serializer, None)(body, timeout=60, metadata=metadata))
            else:
                parts.append(self.channel.unary_unary(path, serializer, None)(body, timeout=60, metadata=metadata))
        except grpc.RpcError as error:
            parts.append((error.details() or "").encode())
            trailing: Any = error.trailing_metadata()
            for item in trailing or ():
                parts.append(str(item.key).encode())
                parts.append(item.value if isinstance(item.value, bytes) else str(item.value).encode())
            return Answer(error.code(), b"\n".join(parts))
        return Answer(grpc.StatusCode.OK, b"\n".join(parts))


def _populate(server: ServerProcess) -> None:
    later = datetime(2099, 1, 1, tzinfo=UTC)
    with server.client(token=hs256_token("root"), timeout=60) as root:
        for scope in SCOPES:
            root.add_scope(scope, "alice")
            root.load(
                [
                    LoadChunk(
                        dids=[
                            NewDid(f"{scope}:ds", "dataset", metadata={"colour": "red", "k": 5}),
                            NewDid(f"{scope}:c", "container"),
                            *(NewDid(f"{scope}:{n}", "file", bytes=1, metadata={"k": n}) for n in ("a", "b", "f1")),
                            NewDid(f"{scope}:sealed", "dataset", metadata={"note_q": SEALED_VALUE, "k": 7}),
                        ],
                        attachments=[
                            (f"{scope}:ds", f"{scope}:a"),
                            (f"{scope}:c", f"{scope}:ds"),
                            (f"{scope}:c", f"{scope}:sealed"),
                            (f"{scope}:sealed", f"{scope}:b"),  # a visible file below an embargoed dataset
                        ],
                    )
                ]
            )
        root.add_did(
            "hp:sealed.kid",
            "file",
            bytes=SEALED_BYTES,
            md5=SEALED_MD5,
            metadata={"note_q": SEALED_VALUE, "colour": "top-secret-note"},
        )
        root.attach("hp:sealed", ["hp:sealed.kid"])
        root.set_embargo("hp:sealed", later, recursive=True)
        root.set_embargo("hq:sealed", later)
        # The set-up is what it claims: root sees the embargoed DIDs, bob does not.
        assert root.get_metadata("hp:sealed.kid", "ALL")["note_q"] == SEALED_VALUE
    with server.client(token=hs256_token("bob"), timeout=60) as bob:
        seen = set(bob.list_dids("h*", type="all", recursive=False))
        assert "hp:ds" in seen and not any("sealed" in did for did in seen), seen


@pytest.fixture(scope="module")
def auth_live(
    tmp_path_factory: pytest.TempPathFactory, start_server: Callable[..., ServerProcess]
) -> Iterator[AuthLive]:
    directory = tmp_path_factory.mktemp("property-auth")
    server = start_server(
        {
            "database": new_sqlite_database(directory),
            "log_format": "text",
            "auth": {"mode": "token", "hs256_secret": SECRET, "issuers": [ISSUER], "admin_accounts": ["root"]},
        }
    )
    _populate(server)
    engine = engine_for(server)
    with grpc.insecure_channel(server.address, options=[("grpc.max_receive_message_length", 64 << 20)]) as channel:
        yield AuthLive(channel, engine)
    engine.dispose()


#: RPCs every authenticated caller may use to write into its own account (docs/security.md).
OWN_ACCOUNT_WRITES = frozenset({"SaveQuery"})


def _token(caller: str) -> str | None:
    return None if caller == "anonymous" else hs256_token(caller, ttl=3600)


def _check(live: AuthLive, name: str, caller: str, sent: bytes, answer: Answer, before: str, shown: str) -> None:
    assert answer.code not in FORBIDDEN, f"{name} by {caller} answered {answer.code.name} to {shown}"
    if caller == "anonymous":
        # Bytes that are no request at all are refused before the caller is looked at (decoding.py).
        undecodable = answer.code == grpc.StatusCode.INVALID_ARGUMENT and b"MALFORMED_REQUEST" in answer.payload
        assert answer.code == grpc.StatusCode.UNAUTHENTICATED or undecodable, f"{name} without a token: {shown}"
    if not (name in OWN_ACCOUNT_WRITES and answer.code == grpc.StatusCode.OK):
        assert catalogue_fingerprint(live.engine) == before, f"{name} by {caller} ({answer.code.name}) changed {shown}"
    else:
        # What the caller saved is its own text: a later ListSavedQueries that showed a name saved here
        # (say `sealed.kid`) would reveal nothing. Forget it, so that every example starts from the same
        # state and the secrets check below stays strict for every RPC.
        with live.engine.begin() as connection:
            connection.execute(delete(saved_queries).where(saved_queries.c.account == caller))
    for secret in SECRETS:
        if secret not in sent:
            assert secret not in answer.payload, (
                f"{name} by {caller} revealed {secret!r} ({answer.code.name}) to {shown}: {answer.payload[:2000]!r}"
            )


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name", sorted(METHODS))
@HYPOTHESIS
@given(data=st.data())
def test_unauthorised_caller_changes_nothing_and_never_sees_an_embargoed_did(
    auth_live: AuthLive, name: str, caller: str, data: st.DataObject
) -> None:
    method = METHODS[name]
    request = data.draw(messages(request_class(method)), label="request")
    before = catalogue_fingerprint(auth_live.engine)
    answer = auth_live.call(method, request, _token(caller))
    _check(auth_live, name, caller, request.SerializeToString(), answer, before, f"{request!r:.2000}")


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name", sorted(METHODS))
@HYPOTHESIS
@given(body=st.binary(max_size=64) | st.sampled_from([b"\x0a\x02hp\x12\x06sealed", b"\x0a\x02hp"]))
def test_unauthorised_raw_bytes_change_nothing_and_reveal_nothing(
    auth_live: AuthLive, name: str, caller: str, body: bytes
) -> None:
    method = METHODS[name]
    before = catalogue_fingerprint(auth_live.engine)
    answer = auth_live.call(method, body, _token(caller), serialize=False)
    _check(auth_live, name, caller, body, answer, before, repr(body))
