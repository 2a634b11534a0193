"""Run every benchmark (or the ones named): ``python -m bench [NAME ...]``.

Writes bench/results.json and the table in README.md between the bench markers.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable

from bench import agent, alerts, discovery, ingest, resilience, scoring, web
from bench.results import Result, save

BENCHMARKS: dict[str, Callable[[], list[Result]]] = {
    "agent": agent.run,
    "ingest": ingest.run,
    "scoring": scoring.run,
    "metrics": alerts.run,
    "web": web.run,
    "discovery": discovery.run,
    "resilience": resilience.run,
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="which to run (default: all)")
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    for name in args.names or list(BENCHMARKS):
        print(f"== {name}", file=sys.stderr)
        results = [dataclasses.replace(r, group=name) for r in BENCHMARKS[name]()]
        for r in results:
            print(
                f"{r.name}: {r.value:g} {r.unit}"
                + (f" (peer {r.peer_value:g}, ratio {r.ratio})" if r.peer_value is not None else "")
            )
        save(results, "make bench")  # after each group: a long run keeps what it measured
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
