"""Client credentials: a bearer token (given, or read from a file that may be refreshed) and TLS/mTLS.

The token is sent as `authorization: Bearer <token>` metadata on every call, also on plaintext
loopback channels (gRPC's call credentials need TLS). A token file is re-read whenever its
modification time or size changes, so a sidecar (oidc-agent, a cron job) can rotate it under a
long-running client.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import grpc

from didmeta.errors import InvalidArgument

Metadata = tuple[tuple[str, str], ...]


class TokenSource:
    """The current bearer token: a fixed string, or the contents of a file re-read when it changes."""

    def __init__(self, token: str | None = None, token_file: str | os.PathLike[str] | None = None) -> None:
        self.token = token.strip() if token else None
        self.token_file = Path(token_file) if token_file else None
        self._seen: tuple[int, int] | None = None
        self._file_token: str | None = None
        self._lock = threading.Lock()

    def current(self) -> str | None:
        if self.token_file is None:
            return self.token
        with self._lock:
            try:
                stat = self.token_file.stat()
                if (stat.st_mtime_ns, stat.st_size) != self._seen:
                    self._file_token = self.token_file.read_text().strip() or None
                    self._seen = (stat.st_mtime_ns, stat.st_size)
            except OSError as error:
                raise InvalidArgument.for_field(
                    "token_file", f"cannot read {self.token_file}: {error.strerror}"
                ) from None
            return self._file_token

    def metadata(self) -> Metadata:
        token = self.current()
        return (("authorization", f"Bearer {token}"),) if token else ()


def tls_credentials(
    ca: str | os.PathLike[str] | None = None,
    cert: str | os.PathLike[str] | None = None,
    key: str | os.PathLike[str] | None = None,
) -> grpc.ChannelCredentials:
    """TLS channel credentials: `ca` to verify the server (system roots if None), `cert`+`key` for mTLS."""
    if (cert is None) != (key is None):
        raise InvalidArgument.for_field("cert", "a client certificate needs its key, and a key its certificate")

    def read(path: str | os.PathLike[str] | None, field: str) -> bytes | None:
        if path is None:
            return None
        try:
            return Path(path).read_bytes()
        except OSError as error:
            raise InvalidArgument.for_field(field, f"cannot read {path}: {error.strerror}") from None

    return grpc.ssl_channel_credentials(
        root_certificates=read(ca, "ca"), private_key=read(key, "key"), certificate_chain=read(cert, "cert")
    )
