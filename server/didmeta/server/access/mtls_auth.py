"""`auth.mode = "mtls"`: the caller is the subject of its verified client certificate.

The TLS layer (with `tls.client_ca_file`) has already verified the certificate chain; this reads
the subject as an RFC 4514 string (`CN=Alice,O=Example`), maps it through `identity_map`, and
falls back to the common name unless `require_mapped_identity` is set. No capabilities: rights come
from scope ownership and `admin_accounts`.
"""

from __future__ import annotations

from typing import Any

import grpc
from cryptography import x509
from cryptography.x509.oid import NameOID

from didmeta.errors import Unauthenticated
from didmeta.server.access.identity import Identity
from didmeta.server.access.token_auth import map_identity
from didmeta.server.config import AuthSettings


def certificate_subject(context: grpc.aio.ServicerContext[Any, Any]) -> tuple[str, str]:
    """(RFC 4514 subject, common name) of the peer's certificate; UNAUTHENTICATED without one."""
    pems = list(context.auth_context().get("x509_pem_cert") or [])
    if not pems:
        raise Unauthenticated("no client certificate was presented", reason="CERTIFICATE_MISSING")
    certificate = x509.load_pem_x509_certificate(pems[0])
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(names[0].value) if names else ""
    return certificate.subject.rfc4514_string(), common_name


class MtlsAuthenticator:
    """The Authenticator of `auth.mode = "mtls"`."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings

    async def identify(self, context: grpc.aio.ServicerContext[Any, Any]) -> Identity:
        subject, common_name = certificate_subject(context)
        if subject in self.settings.identity_map or self.settings.require_mapped_identity:
            account = map_identity(self.settings, subject)
        elif common_name:
            account = map_identity(self.settings, common_name)
        else:
            raise Unauthenticated("the client certificate has no common name", reason="UNKNOWN_IDENTITY")
        return Identity(account, is_admin=account in self.settings.admin_accounts)
