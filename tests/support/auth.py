"""Real credentials for access-control tests: JWTs signed with PyJWT, keys and X.509 certificates
made with `cryptography`, a JWKS document, and a tiny JWKS HTTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SECRET = "test-shared-secret-of-32-bytes-or-more!!"
ISSUER = "https://didmeta.test/hs"
IAM_ISSUER = "https://iam.test/"
AUDIENCE = "didmeta"


def hs256_token(account: str, scope: str = "", *, ttl: int = 600, secret: str = SECRET, **claims: Any) -> str:
    now = int(time.time())
    body: dict[str, Any] = {"iss": ISSUER, "aud": AUDIENCE, "sub": account, "iat": now, "nbf": now, "exp": now + ttl}
    if scope:
        body["scope"] = scope
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret, algorithm="HS256")


@dataclass
class SigningKey:
    """An asymmetric key with its `kid` and algorithm, able to sign tokens and publish itself as a JWK."""

    kid: str
    algorithm: str
    private: Any

    @classmethod
    def rsa(cls, kid: str) -> SigningKey:
        return cls(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str) -> SigningKey:
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        data: dict[str, Any] = json.loads(algorithm.to_jwk(self.private.public_key()))
        data.update(kid=self.kid, alg=self.algorithm, use="sig")
        return data

    def token(self, account: str, scope: str = "", *, ttl: int = 600, **claims: Any) -> str:
        now = int(time.time())
        body: dict[str, Any] = {"iss": IAM_ISSUER, "aud": AUDIENCE, "sub": account, "iat": now, "exp": now + ttl}
        if scope:
            body["scope"] = scope
        body.update(claims)
        return jwt.encode(body, self.private, algorithm=self.algorithm, headers={"kid": self.kid})


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.jwk() for key in keys]}


class _JwksHandler(http.server.BaseHTTPRequestHandler):
    document: dict[str, Any] = {}
    hits: list[str] = []

    def do_GET(self) -> None:
        body = json.dumps(type(self).document).encode()
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class JwksServer:
    url: str
    handler: type[_JwksHandler]

    def publish(self, document: dict[str, Any]) -> None:
        self.handler.document = document

    @property
    def hits(self) -> list[str]:
        return self.handler.hits


@contextmanager
def jwks_server(document: dict[str, Any]) -> Iterator[JwksServer]:
    """An HTTP server on 127.0.0.1 answering every GET with the current JWKS document."""
    handler = type("Handler", (_JwksHandler,), {"document": document, "hits": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield JwksServer(f"http://127.0.0.1:{httpd.server_address[1]}/jwks.json", handler)
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- X.509 ----------------------------------------------------------------------------------------
def _name(common_name: str, organisation: str = "didmeta tests") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(key: Any, path: Path) -> Path:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


@dataclass
class Pki:
    """A CA, a server certificate for 127.0.0.1/localhost, and client certificates, as PEM files."""

    directory: Path
    ca_key: Any = None
    ca_cert: x509.Certificate | None = None

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    def create_ca(self) -> Pki:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name("didmeta test CA"))
            .issuer_name(_name("didmeta test CA"))
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self.ca_key, hashes.SHA256())
        )
        self.ca_file.write_bytes(self.ca_cert.public_bytes(serialization.Encoding.PEM))
        return self

    def issue(self, stem: str, common_name: str, *, server: bool = False) -> tuple[Path, Path]:
        """(certificate file, key file) signed by the CA; a server certificate names 127.0.0.1 and localhost."""
        assert self.ca_cert is not None
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        )
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        certificate = builder.sign(self.ca_key, hashes.SHA256())
        cert_file = self.directory / f"{stem}.pem"
        cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return cert_file, _write_key(key, self.directory / f"{stem}.key")
