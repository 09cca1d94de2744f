"""The one typed configuration object, read from a TOML/YAML file, the environment and flags.

Precedence (highest first): command-line flags, `DIDMETA_*` environment variables, the config
file (`--config` or `DIDMETA_CONFIG`), defaults. Nested settings use `__` in variable names:
`DIDMETA_PLUGIN_OPTIONS__MONGO__URL=mongodb://...`. `DIDMETA_PLUGINS` takes a JSON list or a
comma-separated list. Every field is documented in docs/configuration.md.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from didmeta.environment import unknown_variables
from didmeta.errors import InvalidArgument

DEFAULT_DATABASE = "sqlite:///./didmeta.db"
DEFAULT_LISTEN = "127.0.0.1:50051"


class TlsSettings(BaseModel):
    """Server TLS: PEM files. With `client_ca_file`, clients must present a certificate (mTLS)."""

    cert_file: Path
    key_file: Path
    client_ca_file: Path | None = None


class AuthSettings(BaseModel):
    """Who the caller is and what it may do (docs/security.md).

    `local`: every call runs as `local_account` (an admin), no token needed; loopback only unless
    `insecure_open`. `token`: a bearer JWT in the `authorization` metadata (HS256 with `hs256_secret`,
    RS256/ES256 with keys from `jwks_file` or `jwks_url`). `mtls`: the client certificate's subject
    (needs `tls.client_ca_file`).
    """

    mode: Literal["local", "token", "mtls"] = "local"
    local_account: str = "root"
    insecure_open: bool = False
    hs256_secret: SecretStr | None = None
    jwks_file: Path | None = None
    jwks_url: str | None = None
    jwks_min_refresh_seconds: float = Field(default=30.0, ge=0)
    jwks_max_age_seconds: float = Field(default=3600.0, gt=0)
    issuers: list[str] = Field(default_factory=list)
    audience: str = "didmeta"
    leeway_seconds: float = Field(default=60.0, ge=0)
    account_claim: str = "sub"
    scope_claim: str = "scope"
    identity_map: dict[str, str] = Field(default_factory=dict)
    require_mapped_identity: bool = False
    admin_accounts: list[str] = Field(default_factory=list)
    admin_claim: str | None = None
    admin_claim_value: str = "true"
    read_restricted_scopes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_token_keys(self) -> AuthSettings:
        if self.mode == "token":
            if self.hs256_secret is None and self.jwks_file is None and self.jwks_url is None:
                raise ValueError("auth.mode = token needs auth.hs256_secret, auth.jwks_file or auth.jwks_url")
            if not self.issuers:
                raise ValueError("auth.mode = token needs auth.issuers (the trusted token issuers)")
        return self


class TracingSettings(BaseModel):
    """OpenTelemetry tracing (docs/operations.md, 'Tracing'); needs the `tracing` extra.

    `exporter`: `otlp` (gRPC to `otlp_endpoint`, or OTEL_EXPORTER_OTLP_ENDPOINT, default localhost:4317),
    `console` (spans on stdout) or `none` (spans are made but not exported: for embedding and tests).
    """

    service_name: str = "didmeta"
    exporter: Literal["otlp", "console", "none"] = "otlp"
    otlp_endpoint: str | None = None
    sample_ratio: float = Field(default=1.0, ge=0, le=1)


class Settings(BaseSettings):
    """Every setting of a didmeta server."""

    model_config = SettingsConfigDict(
        env_prefix="DIDMETA_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    listen: str = Field(DEFAULT_LISTEN, description="HOST:PORT to serve gRPC on")
    database: str = Field(DEFAULT_DATABASE, description="SQLAlchemy URL of the catalogue database")
    database_replicas: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="URLs of PostgreSQL streaming replicas that serve the read RPCs (docs/operations.md)",
    )
    replica_max_lag_seconds: float = Field(10.0, gt=0, description="A replica further behind the primary is skipped")
    replica_check_seconds: float = Field(1.0, gt=0, description="How often each replica's freshness is checked")
    database_partitions: int = Field(
        0,
        ge=0,
        le=1024,
        description="PostgreSQL: hash partitions of the DID tables by scope, fixed when the catalogue is created"
        " (0: plain tables; docs/scale.md, 'Partitioning')",
    )
    plugins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["DID_COLUMN", "JSON"],
        description="Enabled metadata plugins, in key-ownership order; DID_COLUMN is always first",
    )
    plugin_options: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-plugin options, by plugin name"
    )
    workers: int = Field(
        1,
        ge=1,
        le=256,
        description="Server processes on the one port (docs/deployment.md, 'Worker processes'); `auto`: one per core",
    )
    grace_seconds: float = Field(10.0, ge=0, description="Drain time for in-flight calls on SIGTERM")
    gc_young_threshold: int = Field(
        10_000,
        ge=0,
        description="Allocations between two passes of Python's cyclic garbage collector over young objects "
        "(server/collector.py; Python's default is 700); 0: the collector left as Python sets it up",
    )
    batch_size: int = Field(1000, ge=1, le=10000, description="DIDs per ListDids message (default)")
    max_batch_size: int = Field(5000, ge=1, le=20000, description="Cap on a client's batch_size")
    first_batch_size: int = Field(100, ge=1, description="Size of the first message, for time to first result")
    max_request_items: int = Field(100_000, ge=1, description="Items one unary request may carry")
    write_attempts: int = Field(
        6, ge=1, le=50, description="Runs of a write request that lost a deadlock or serialization race (PostgreSQL)"
    )
    max_message_bytes: int = Field(16 * 1024 * 1024, ge=4 * 1024 * 1024, description="gRPC max message size")
    max_connection_age_seconds: float | None = Field(
        None, description="Close connections after this age so clients rebalance (mesh-friendly)"
    )
    # --- limits on what one request may cost (docs/operations.md, "Bad input and limits") ---------
    max_filter_chars: int = Field(100_000, ge=100, description="Characters of a string filter expression")
    max_filter_groups: int = Field(100, ge=1, description="OR groups in one filter")
    max_filter_clauses: int = Field(200, ge=1, description="Clauses in one filter, all groups together")
    max_in_values: int = Field(10_000, ge=1, description="Values in one `in` clause")
    max_filter_depth: int = Field(
        20, ge=1, le=100, description="Nesting of `not` and parentheses (and/or/not nodes) in one filter"
    )
    max_batch_bytes: int = Field(
        1024 * 1024, ge=64 * 1024, description="Bytes of one ListDids message (batches are cut by count and bytes)"
    )
    # --- connections and shutdown ---------------------------------------------------------------
    shutdown_notice_seconds: float = Field(
        1.0, ge=0, description="On SIGTERM, health says NOT_SERVING this long (capped by grace) before draining"
    )
    keepalive_time_seconds: float = Field(300.0, gt=0, description="Ping an idle connection after this long")
    keepalive_timeout_seconds: float = Field(20.0, gt=0, description="Close a connection whose ping is unanswered")
    keepalive_min_client_ping_seconds: float = Field(
        10.0,
        gt=0,
        description="Accept a client's keepalive pings this often, with or without calls (more often: GOAWAY)",
    )
    max_connection_idle_seconds: float | None = Field(
        600.0, gt=0, description="Close a connection without calls for this long (None: never)"
    )
    handshake_timeout_seconds: float = Field(
        10.0, gt=0, description="Close a connection that has not completed its HTTP/2 (and TLS) handshake"
    )
    max_log_chars: int = Field(8000, ge=200, description="Cap on one log message or traceback (SQL included)")
    log_level: str = Field("INFO", description="Logging level of didmeta's own loggers")
    library_log_level: str = Field("WARNING", description="Logging level of other libraries' loggers (grpc, ...)")
    log_format: Literal["json", "text"] = Field("json", description="Structured JSON logs or plain text")
    tls: TlsSettings | None = None
    tracing: TracingSettings | None = Field(None, description="OpenTelemetry tracing; None: off")
    auth: AuthSettings = Field(default_factory=AuthSettings)
    history_retention_days: int = Field(
        0, ge=0, description="Days of audit history to keep (0 keeps it forever); pruned at start and hourly on write"
    )
    demo_data: bool = Field(False, description="Load a small demo data set into an empty database at start")
    flight_listen: str | None = Field(
        None,
        description="HOST:PORT of the optional Arrow Flight endpoint (listings by DoGet, docs/arrow.md); "
        "with auth.mode = token each call needs a bearer token (any address); with auth.mode = local, loopback only",
    )

    rest_listen: str | None = Field(
        None,
        description="HOST:PORT of the optional REST/JSON gateway, OpenAPI document and catalogue page "
        "(docs/rest.md); needs workers = 1 and auth.mode local or token",
    )

    readiness_interval_seconds: float | None = Field(
        5.0,
        gt=0,
        description="Check the catalogue and plugin backends this often; the didmeta.v1 services' health is "
        "NOT_SERVING while one does not answer (docs/operations.md, 'Health and readiness'); None: never",
    )
    readiness_timeout_seconds: float = Field(3.0, gt=0, description="A readiness check slower than this fails")
    metrics_listen: str | None = Field(
        None,
        description="HOST:PORT of the Prometheus metrics endpoint (docs/operations.md, 'Metrics'); None: no metrics. "
        "With workers > 1 the supervisor serves every worker's values on this one port",
    )

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"listen must be HOST:PORT with a port from 0 to 65535, not {value!r}")
        return value

    @field_validator("workers", mode="before")
    @classmethod
    def _auto_workers(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == "auto":
            return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        return value

    @field_validator("flight_listen", "metrics_listen")
    @classmethod
    def _check_optional_listen(cls, value: str | None) -> str | None:
        return None if value is None else cls._check_listen(value)

    @model_validator(mode="after")
    def _check_flight(self) -> Settings:
        if self.flight_listen is None:
            return self
        from didmeta.server.auth import is_loopback

        if self.auth.mode == "token":
            return self  # each Flight call carries a bearer token (flight_auth.py)
        if self.auth.mode != "local" or not is_loopback(self.flight_listen):
            raise ValueError(
                "flight_listen needs auth.mode = token (bearer tokens on Flight calls), or auth.mode = local "
                f"and a loopback address (127.0.0.1:PORT), not {self.flight_listen!r} with auth.mode = {self.auth.mode}"
            )
        return self

    @field_validator("rest_listen")
    @classmethod
    def _check_rest_listen(cls, value: str | None) -> str | None:
        return None if value is None else cls._check_listen(value)

    @model_validator(mode="after")
    def _check_rest(self) -> Settings:
        if self.rest_listen is None:
            return self
        if self.auth.mode == "mtls":
            raise ValueError(
                "rest_listen cannot be used with auth.mode = mtls: the gateway has no client certificate to pass on "
                "(use auth.mode = token: the Authorization header goes through)"
            )
        if self.workers > 1:
            raise ValueError("rest_listen needs workers = 1: the REST gateway runs in the one server process")
        return self

    @model_validator(mode="after")
    def _check_workers(self) -> Settings:
        if self.workers > 1 and self.flight_listen is not None:
            raise ValueError("flight_listen needs workers = 1: the Arrow Flight endpoint cannot share its port")
        if self.metrics_listen is not None and self.metrics_listen == self.listen:
            raise ValueError("metrics_listen must differ from listen")
        return self

    @model_validator(mode="after")
    def _check_replicas(self) -> Settings:
        if self.database_replicas and not self.database.startswith(("postgresql", "postgres:")):
            raise ValueError("database_replicas need a PostgreSQL database (streaming replicas of it)")
        return self

    @field_validator("database_partitions")
    @classmethod
    def _check_partitions(cls, value: int) -> int:
        if value == 1:
            raise ValueError("database_partitions must be 0 (plain tables) or 2..1024")
        return value

    @model_validator(mode="after")
    def _check_mtls(self) -> Settings:
        if self.auth.mode == "mtls" and (self.tls is None or self.tls.client_ca_file is None):
            raise ValueError("auth.mode = mtls needs tls.cert_file, tls.key_file and tls.client_ca_file")
        return self

    @field_validator("plugins", "database_replicas", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("plugins")
    @classmethod
    def _normalise_plugins(cls, value: list[str]) -> list[str]:
        names = [name.upper() for name in value]
        if "DID_COLUMN" in names:
            names.remove("DID_COLUMN")
        names.insert(0, "DID_COLUMN")
        if len(set(names)) != len(names):
            raise ValueError(f"a plugin is listed twice: {value}")
        return names

    @field_validator("plugin_options")
    @classmethod
    def _upper_option_names(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {name.upper(): options for name, options in value.items()}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _FileSource(settings_cls))


_config_file_data: ContextVar[dict[str, Any] | None] = ContextVar("didmeta_config_file_data", default=None)


class _FileSource(PydanticBaseSettingsSource):
    """The parsed config file, below the environment in precedence."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return (_config_file_data.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_config_file_data.get() or {})


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a TOML (`.toml`) or YAML (`.yaml`/`.yml`) config file into a dict."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidArgument.for_field("config", f"cannot read {path}: {exc.strerror}") from exc
    try:
        data: Any = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else tomllib.loads(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise InvalidArgument.for_field("config", f"cannot parse {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidArgument.for_field("config", f"{path} must hold a table/mapping at the top")
    return data


def check_environment(environ: Mapping[str, str]) -> None:
    """Refuse a `DIDMETA_*` variable that is neither a setting nor one of `KNOWN_VARIABLES`, naming it."""
    unknown = unknown_variables(environ, Settings.model_fields)
    if unknown:
        name, close = unknown[0]
        hint = f" (did you mean {close}?)" if close else ""
        raise InvalidArgument.for_field(
            "environment",
            f"unknown variable {name}{hint}: not a setting of docs/configuration.md nor a known DIDMETA_ variable",
            reason="UNKNOWN_SETTING",
        )


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the Settings: flags (`overrides`, None values ignored) > env > file > defaults."""
    check_environment(os.environ)
    path = config_file or (Path(os.environ["DIDMETA_CONFIG"]) if os.environ.get("DIDMETA_CONFIG") else None)
    token = _config_file_data.set(read_config_file(path) if path else {})
    try:
        return Settings(**{key: value for key, value in overrides.items() if value is not None})
    finally:
        _config_file_data.reset(token)
