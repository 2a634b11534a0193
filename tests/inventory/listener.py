"""A lab service: listen on TCP ports of one address, greet with an optional banner, hang up.

Run inside a lab namespace: ``python listener.py ADDRESS PORT[=BANNER] ...``. It stands in for
the services of printers, switches and Windows PCs; real daemons (sshd, snmpd, http.server) are
used where the test needs their protocol.
"""

from __future__ import annotations

import selectors
import socket
import sys


def main(argv: list[str]) -> None:
    address, specs = argv[0], argv[1:]
    selector = selectors.DefaultSelector()
    for spec in specs:
        port, _, banner = spec.partition("=")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, int(port)))
        sock.listen(64)
        selector.register(sock, selectors.EVENT_READ, banner.encode())
    print("ready", flush=True)
    while True:
        for key, _ in selector.select():
            listening = key.fileobj
            assert isinstance(listening, socket.socket)
            try:
                conn, _peer = listening.accept()
            except OSError:
                continue
            with conn:
                if key.data:
                    conn.sendall(key.data + b"\r\n")


if __name__ == "__main__":
    main(sys.argv[1:])
