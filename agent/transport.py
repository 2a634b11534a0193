"""HTTPS to the collector, pinned to the CA from the enrollment bundle, requests signed.

Only the standard library's ``socket`` and ``ssl`` with the small HTTP/1.1 of
:mod:`agent.wire`: the agent stays small.
"""

from __future__ import annotations

import json
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from agent import wire
from canh.contract import signing

MAX_RESPONSE_BYTES = 1024 * 1024
MAX_RETRY_AFTER = 3600.0
# OpenSSL verify codes (X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED): on a freshly
# issued certificate these mean this machine's clock is wrong, not the certificate.
X509_NOT_YET_VALID = 9
X509_EXPIRED = 10


class CollectorUnavailable(Exception):
    """The collector could not be reached or answered with a temporary error; retry later
    (not before ``retry_after`` seconds when the collector said so)."""

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CollectorRefused(Exception):
    """The collector refused the request for good (4xx other than 408/429); do not retry as is."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(f"collector refused ({status} {reason}): {detail}")
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Response:
    """A successful answer."""

    status: int
    body: bytes


class Collector:
    """One collector, reached over HTTPS with its CA pinned."""

    def __init__(self, url: str, ca_pem: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"collector URL must be https://host[:port], got {url!r}")
        self.host = parts.hostname
        self.port = parts.port or 443
        self.timeout = timeout
        # Trust exactly the collector's CA, nothing from the system store.
        self.context = ssl.create_default_context(cadata=ca_pem)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Response:
        """Send one request; map transport failures and error statuses to the two exceptions."""
        all_headers = {
            "content-type": "application/json",
            "content-length": str(len(body)),
            **(headers or {}),
        }
        head = wire.request_head(method, self.host, self.port, path, all_headers)
        try:
            with (
                socket.create_connection((self.host, self.port), timeout=self.timeout) as raw,
                self.context.wrap_socket(raw, server_hostname=self.host) as tls,
                tls.makefile("rb") as stream,
            ):
                tls.sendall(head + body)
                answer = wire.read_answer(stream, MAX_RESPONSE_BYTES)
        except ssl.SSLCertVerificationError as err:
            if err.verify_code in (X509_NOT_YET_VALID, X509_EXPIRED):
                raise CollectorUnavailable(
                    f"the collector's certificate {err.verify_message} by this machine's clock: "
                    "check the clock and fix time synchronisation (systemd-timesyncd, chrony or "
                    "w32time)"
                ) from err
            raise CollectorUnavailable(
                f"the collector's certificate is not signed by the pinned CA: {err.verify_message}"
            ) from err
        except (TimeoutError, OSError, wire.MalformedAnswer) as err:
            raise CollectorUnavailable(f"cannot reach {self.host}:{self.port}: {err}") from err
        if answer.status in (408, 425, 429) or answer.status >= 500:
            raise CollectorUnavailable(
                f"collector busy or failing ({answer.status})",
                _retry_after(answer.headers.get("retry-after")),
            )
        if answer.status >= 400:
            reason, detail = _error_of(answer.body)
            raise CollectorRefused(answer.status, reason, detail)
        return Response(answer.status, answer.body)

    def signed(
        self, key: signing.Signer, agent_id: str, seq: int, method: str, path: str, body: bytes
    ) -> Response:
        """A request authenticated by the agent's key (DESIGN.md §3.1)."""
        headers = signing.sign(key, agent_id, method, path, seq, body)
        return self.request(method, path, body, headers)


def _retry_after(value: str | None) -> float:
    """Seconds from a Retry-After header (delta-seconds form; dates are not used by canh)."""
    if value is None or not value.strip().isdigit():
        return 0.0
    return min(float(value), MAX_RETRY_AFTER)


def _error_of(data: bytes) -> tuple[str, str]:
    try:
        value = json.loads(data)
        detail = value.get("detail", value)
        if isinstance(detail, dict):
            return str(detail.get("reason", "error")), str(detail.get("message", detail))
        return "error", str(detail)
    except (ValueError, AttributeError):
        return "error", data[:200].decode("utf-8", errors="replace")
