"""A two-port Ethernet relay with netem-like faults, for the network-fault scenario.

``python -m tests.resilience.netem_relay IF_A IF_B --loss 0.1 --delay 0.05 --jitter 0.02
--reorder 0.25 --seed 1`` runs inside the test's middle namespace and forwards every frame seen on
one interface out of the other (AF_PACKET raw sockets). Each frame is dropped with probability
``loss``; otherwise it leaves after ``delay ± jitter`` seconds, except that with probability
``reorder`` it leaves at once and so overtakes the frames still waiting (tc-netem(8)'s ``reorder``).

It exists because this machine's kernel has no ``sch_netem`` (CONFIG_NET_SCH_NETEM unset); where
netem exists, the test puts a netem qdisc on the relay's ports and runs the relay fault-free.
On SIGTERM it prints its counters as JSON and exits.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import select
import signal
import socket
import sys
import time
from types import FrameType

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("if_a")
    parser.add_argument("if_b")
    parser.add_argument("--loss", type=float, default=0.0)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--jitter", type=float, default=0.0)
    parser.add_argument("--reorder", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    socks = {}
    for name in (args.if_a, args.if_b):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        sock.bind((name, 0))
        sock.setblocking(False)
        socks[name] = sock
    other = {args.if_a: socks[args.if_b], args.if_b: socks[args.if_a]}
    by_fd = {s.fileno(): name for name, s in socks.items()}
    counts = {"forwarded": 0, "dropped": 0, "reordered": 0}
    queue: list[tuple[float, int, socket.socket, bytes]] = []
    running = True

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    order = 0
    print("ready", flush=True)
    while running:
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else 0.5
        try:
            readable, _w, _x = select.select(list(socks.values()), [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        for sock in readable:
            while True:
                try:
                    frame, addr = sock.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue  # our own transmission, seen on the way out
                if rng.random() < args.loss:
                    counts["dropped"] += 1
                    continue
                if rng.random() < args.reorder:
                    due = now
                    counts["reordered"] += 1
                else:
                    due = now + max(0.0, args.delay + rng.uniform(-args.jitter, args.jitter))
                order += 1
                heapq.heappush(queue, (due, order, other[by_fd[sock.fileno()]], frame))
        while queue and queue[0][0] <= time.monotonic():
            _due, _n, out, frame = heapq.heappop(queue)
            try:
                out.send(frame)
                counts["forwarded"] += 1
            except OSError:
                counts["dropped"] += 1
    print(json.dumps(counts), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
