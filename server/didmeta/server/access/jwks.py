"""Signing keys of token issuers, from a JWKS file or a JWKS URL, cached and refreshed on an unknown `kid`.

Providers (INDIGO IAM, Keycloak, CILogon) rotate keys: a token signed with a key this cache has not
seen makes it reload the set, at most once every `min_refresh_seconds`, so a flood of tokens with
made-up `kid`s cannot turn the server into a load generator against the provider. The set is also
reloaded when it is older than `max_age_seconds`, so a key the provider withdrew stops verifying.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import jwt

from didmeta.errors import Unauthenticated

log = logging.getLogger(__name__)
_FETCH_TIMEOUT_S = 10.0


class JwksKeys:
    """The keys of one JWKS document (a file or a URL), by `kid`."""

    def __init__(
        self,
        *,
        file: Path | None = None,
        url: str | None = None,
        min_refresh_seconds: float = 30.0,
        max_age_seconds: float = 3600.0,
    ) -> None:
        if (file is None) == (url is None):
            raise ValueError("give exactly one of a JWKS file or a JWKS URL")
        self.file, self.url = file, url
        self.min_refresh_seconds = min_refresh_seconds
        self.max_age_seconds = max_age_seconds
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    @property
    def source(self) -> str:
        return str(self.file) if self.file is not None else str(self.url)

    def _read(self) -> dict[str, Any]:
        if self.file is not None:
            data: Any = json.loads(self.file.read_text())
        else:
            assert self.url is not None
            with urllib.request.urlopen(self.url, timeout=_FETCH_TIMEOUT_S) as response:
                data = json.loads(response.read())
        if not isinstance(data, dict):
            raise ValueError("a JWKS document is a JSON object with a `keys` list")
        return data

    def refresh(self) -> None:
        """Reload the key set now; keep the old keys if the source cannot be read."""
        self._loaded_at = time.monotonic()
        try:
            keys: dict[str | None, jwt.PyJWK] = {}
            for entry in self._read().get("keys", []):
                try:
                    key = jwt.PyJWK(entry)
                except jwt.PyJWKError as error:  # a key type this server cannot use: skip it
                    log.warning("skipping a JWKS key of %s: %s", self.source, error)
                    continue
                keys[entry.get("kid")] = key
        except (OSError, ValueError) as error:
            log.warning("cannot load the JWKS of %s: %s", self.source, error)
            return
        self._keys = keys
        log.info("loaded %d signing keys from %s", len(keys), self.source)

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        """The key with this `kid` (the only key if the token names none); UNAUTHENTICATED if unknown."""
        with self._lock:
            age = time.monotonic() - self._loaded_at
            if age >= self.max_age_seconds or (self._lookup(kid) is None and age >= self.min_refresh_seconds):
                self.refresh()
            key = self._lookup(kid)
        if key is None:
            raise Unauthenticated(f"the token is signed with an unknown key (kid {kid!r})", reason="TOKEN_UNKNOWN_KEY")
        return key

    def _lookup(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(kid)
