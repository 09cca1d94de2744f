"""Start-up checks that turn a bad setting or a busy resource into one clear line and an exit code.

`StartupError` names the setting and its value; `didmeta serve` prints it on one line and exits with
`exit_code`: 2 for a configuration problem (a file that cannot be read, a database path that cannot
be opened), 1 for a runtime one (the address is in use, a database server does not answer).
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from sqlalchemy.exc import DBAPIError

from didmeta.server.config import Settings, TlsSettings
from didmeta.server.store.engine import Store
from didmeta.server.store.migrations import PARTITIONS_SETTING, LayoutMismatch

if TYPE_CHECKING:
    from didmeta.server.dispatcher import Dispatcher

EXIT_CONFIGURATION = 2
EXIT_RUNTIME = 1


class StartupError(Exception):
    """The server cannot start because of `setting` = `value`."""

    def __init__(self, setting: str, value: object, problem: str, exit_code: int) -> None:
        super().__init__(f"cannot start: {setting} = {str(value)!r}: {problem}")
        self.setting, self.value, self.problem, self.exit_code = setting, value, problem, exit_code


def _read(setting: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise StartupError(setting, path, error.strerror or str(error), EXIT_CONFIGURATION) from None


def server_credentials(tls: TlsSettings) -> grpc.ServerCredentials:
    """TLS credentials from the PEM files of the settings; a file that cannot be read is a StartupError."""
    key, cert = _read("tls.key_file", tls.key_file), _read("tls.cert_file", tls.cert_file)
    client_ca = _read("tls.client_ca_file", tls.client_ca_file) if tls.client_ca_file else None
    return grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=client_ca, require_client_auth=client_ca is not None
    )


def check_database(store: Store) -> None:
    """Connect once: an SQLite file that cannot be opened (2), a database server that does not answer (1)."""
    try:
        with store.engine.connect():
            pass
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)
        code = EXIT_CONFIGURATION if store.is_sqlite else EXIT_RUNTIME
        raise StartupError("database", store.engine.url.render_as_string(), reason, code) from None


def check_partitions_setting(settings: Settings) -> None:
    """`database_partitions` > 0 needs PostgreSQL (2): checked before the database is opened."""
    if settings.database_partitions and not settings.database.startswith(("postgresql", "postgres:")):
        raise StartupError(
            PARTITIONS_SETTING,
            settings.database_partitions,
            "partitioned tables need a PostgreSQL database (set it to 0 for SQLite)",
            EXIT_CONFIGURATION,
        )


def layout_error(recorded: int, requested: int) -> StartupError:
    """The StartupError (2) of a catalogue created with `recorded` partitions opened with `requested`."""
    problem = (
        f"the catalogue was created with {PARTITIONS_SETTING} = {recorded}; the layout is fixed at creation"
        f" (start with {PARTITIONS_SETTING} = {recorded}, or load the DIDs into a new catalogue)"
    )
    return StartupError(PARTITIONS_SETTING, requested, problem, EXIT_CONFIGURATION)


def start_dispatcher(dispatcher: Dispatcher) -> None:
    """`dispatcher.start()`; a catalogue created with another `database_partitions` (before, or meanwhile by
    another server) is (2): `migrate`, the dispatcher's first step, refuses it before changing anything."""
    try:
        dispatcher.start()
    except LayoutMismatch as error:
        dispatcher.close()
        raise layout_error(error.recorded, error.requested) from None


def check_address(listen: str) -> None:
    """Try the listen address with a plain socket first, so the error names the cause (gRPC only logs it)."""
    host, _, port = listen.rpartition(":")
    if int(port) == 0:
        return
    try:
        addresses = socket.getaddrinfo(
            host.strip("[]") or None, int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as error:
        raise StartupError(
            "listen", listen, f"cannot resolve the host ({error.strerror})", EXIT_CONFIGURATION
        ) from None
    for family, kind, protocol, _, address in addresses:
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC binds
            try:
                probe.bind(address)
            except OSError as error:
                reason = "the address is already in use" if error.errno == errno.EADDRINUSE else error.strerror
                raise StartupError("listen", listen, str(reason), EXIT_RUNTIME) from None


def bind(server: grpc.aio.Server, settings: Settings, credentials: grpc.ServerCredentials | None) -> int:
    """Bind the listen address; the port bound. An address in use or not bindable is a StartupError (1)."""
    try:
        port = (
            server.add_secure_port(settings.listen, credentials)
            if credentials is not None
            else server.add_insecure_port(settings.listen)
        )
    except RuntimeError:
        port = 0
    if port == 0:
        raise StartupError(
            "listen", settings.listen, "cannot listen there (the port is in use or the host is not local)", EXIT_RUNTIME
        )
    return port
