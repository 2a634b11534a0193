"""Listening TCP and UDP sockets on Windows with their owning process (NetTCPIP cmdlets)."""

from __future__ import annotations

from typing import Any

from agent.host import Host
from agent.linux.ports import scope_of
from agent.windows.powershell import as_count, as_dict, as_int, as_list, as_str, run_script
from canh.contract.facts import Listener, PortsFacts

PORTS_SCRIPT = r"""
Get-Facts 'Tcp' { Get-NetTCPConnection -State Listen |
    Select-Object LocalAddress, LocalPort, OwningProcess }
Get-Facts 'Udp' { Get-NetUDPEndpoint | Select-Object LocalAddress, LocalPort, OwningProcess }
Get-Facts 'Processes' { Get-CimInstance Win32_Process |
    Select-Object ProcessId, Name, ExecutablePath }
"""


def parse_ports(doc: dict[str, Any]) -> PortsFacts:
    """PortsFacts from the ports script's output."""
    processes = {as_int(p.get("ProcessId")): p for p in map(as_dict, as_list(doc.get("Processes")))}
    listeners: dict[tuple[str, str, int], Listener] = {}
    for proto, key in (("tcp", "Tcp"), ("udp", "Udp")):
        for item in map(as_dict, as_list(doc.get(key))):
            address, port = as_str(item.get("LocalAddress")), as_int(item.get("LocalPort"))
            if address is None or port is None or not 0 <= port <= 65535:
                continue
            pid = as_count(item.get("OwningProcess"))
            process = as_dict(processes.get(pid))
            name = as_str(process.get("Name")) or ("System" if pid == 4 else None)
            listeners[(proto, address, port)] = Listener(
                proto=proto,  # type: ignore[arg-type]
                address=address,
                port=port,
                scope=scope_of(address),  # type: ignore[arg-type]
                process=name,
                exe=as_str(process.get("ExecutablePath"), limit=4096),
                pid=pid,
            )
    ordered = sorted(listeners.values(), key=lambda x: (x.proto, x.port, x.address))
    return PortsFacts(listening=ordered[:8192])


def gather_ports(host: Host) -> PortsFacts:
    """Listening sockets with process name and path."""
    return parse_ports(run_script(host, PORTS_SCRIPT, timeout=60))
