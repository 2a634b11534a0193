"""Listening sockets on Linux from ``ss -H -tulnp`` (iproute2), which works locally and over SSH."""

from __future__ import annotations

import re

from agent.host import FactError, Host
from canh.contract.facts import Listener, PortsFacts

_PROC = re.compile(r'users:\(\("(?P<name>[^"]{1,256})",pid=(?P<pid>\d+)')


def split_endpoint(endpoint: str) -> tuple[str, int] | None:
    """Address and port of ``ss`` endpoints such as ``0.0.0.0:22``, ``[::1]:631``, ``*:68``."""
    address, sep, port = endpoint.rpartition(":")
    if not sep or not port.isdigit():
        return None
    address = address.strip("[]")
    address = address.split("%", 1)[0]  # drop the interface suffix of fe80::1%eth0
    return address, int(port)


def scope_of(address: str) -> str:
    """Whether a bound address listens on every interface, loopback only, or one address."""
    if address in ("*", "0.0.0.0", "::", ""):  # noqa: S104 - classifying, not binding
        return "all"
    if address.startswith("127.") or address == "::1":
        return "loopback"
    return "specific"


def parse_ss(text: str) -> list[Listener]:
    """Listeners from ``ss -H -tulnp`` output; lines it cannot read are skipped."""
    listeners: dict[tuple[str, str, int], Listener] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 5 or parts[0] not in ("tcp", "udp"):
            continue
        state = parts[1]
        if parts[0] == "tcp" and state != "LISTEN":
            continue
        if parts[0] == "udp" and state not in ("UNCONN", "LISTEN"):
            continue
        endpoint = split_endpoint(parts[4])
        if endpoint is None:
            continue
        address, port = endpoint
        process = _PROC.search(line)
        key = (parts[0], address, port)
        listeners[key] = Listener(
            proto=parts[0],  # type: ignore[arg-type]
            address="*" if address in ("*", "") else address,
            port=port,
            scope=scope_of(address),  # type: ignore[arg-type]
            process=process.group("name") if process else None,
            pid=int(process.group("pid")) if process else None,
        )
    return sorted(listeners.values(), key=lambda x: (x.proto, x.port, x.address))


def gather_ports(host: Host) -> PortsFacts:
    """Listening TCP and UDP sockets."""
    result = host.run(["ss", "-H", "-tulnp"], timeout=15)
    if result.returncode != 0:
        raise FactError(f"ss failed: {result.stderr.strip()[:200]}")
    return PortsFacts(listening=parse_ss(result.stdout))
