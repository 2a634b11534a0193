"""The collector's own CA and server certificate, made with ``cryptography``.

Agents pin the CA (its certificate travels in the enrollment bundle), so the server certificate can
be rotated at will without touching any agent. Operators may bring their own certificate instead.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from canh.atomicfile import write_atomic


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """Where the collector's TLS material lives."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"

    def exists(self) -> bool:
        return all(p.exists() for p in (self.ca_cert, self.server_cert, self.server_key))


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "canh"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def create_ca(files: TlsFiles, years: int = 10) -> None:
    """A new CA (ECDSA P-256)."""
    files.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("canh collector CA"))
        .issuer_name(_name("canh collector CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    write_atomic(files.ca_key, _key_pem(key), 0o600)
    write_atomic(files.ca_cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def issue_server_cert(files: TlsFiles, names: list[str], days: int = 397) -> None:
    """A server certificate for ``names`` (DNS names or IP addresses), signed by the CA.

    Rotating is calling this again: agents trust the CA, not the server certificate.
    """
    ca_key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{files.ca_key} is not an EC key")
    ca_cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    alt: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    write_atomic(files.server_key, _key_pem(key), 0o600)
    write_atomic(files.server_cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def default_names(listen_host: str) -> list[str]:
    """Names a server certificate should carry for a listen address."""
    names = [listen_host, "localhost", "127.0.0.1"]
    if listen_host in ("0.0.0.0", "::"):  # noqa: S104 - describing the bind, not binding
        names = [socket.getfqdn(), "localhost", "127.0.0.1"]
    return [n for n in names if n not in ("0.0.0.0", "::")]  # noqa: S104


class CertificateError(ValueError):
    """A certificate the collector cannot serve; the message says why."""


def import_cert(files: TlsFiles, cert_pem: bytes, key_pem: bytes) -> None:
    """Serve an operator's certificate. It must match its key and chain to the collector's CA,
    because enrolled agents trust exactly that CA."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        key = serialization.load_pem_private_key(key_pem, password=None)
    except ValueError as err:
        raise CertificateError(f"not a PEM certificate and unencrypted PEM key: {err}") from err
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(
        serialization.Encoding.PEM, public
    ) != key.public_key().public_bytes(serialization.Encoding.PEM, public):
        raise CertificateError("the certificate does not belong to this key")
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature) as err:
        raise CertificateError(
            "the certificate is not issued by the collector's CA; enrolled agents would refuse "
            "it. Have your CA sign with the collector's CA key, or re-enroll agents with a new "
            "bundle"
        ) from err
    now = dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise CertificateError("the certificate is not valid now")
    write_atomic(files.server_key, key_pem, 0o600)
    write_atomic(files.server_cert, cert_pem, 0o644)
