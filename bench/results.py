"""Benchmark results: one record per measurement, written to bench/results.json and the README."""

from __future__ import annotations

import json
import platform
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
README = ROOT / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass(frozen=True, slots=True)
class Result:
    """One measurement; ``ratio`` is value / peer_value when there is a peer."""

    name: str
    value: float
    unit: str
    peer: str | None = None
    peer_value: float | None = None
    target: str = ""
    met: bool | None = None
    group: str = ""  # the benchmark that produced it (set by ``python -m bench``)

    @property
    def ratio(self) -> float | None:
        if not self.peer_value:
            return None
        return round(self.value / self.peer_value, 3)


def load() -> list[Result]:
    """The results of earlier runs, if any."""
    if not RESULTS.exists():
        return []
    fields = set(Result.__dataclass_fields__)
    return [
        Result(**{k: v for k, v in row.items() if k in fields})
        for row in json.loads(RESULTS.read_text())["results"]
    ]


def save(results: list[Result], command: str) -> None:
    """Merge with earlier groups, write results.json and the README table between the markers."""
    groups = {r.group for r in results}
    results = [r for r in load() if r.group not in groups] + results
    payload = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "command": command,
        "results": [{**asdict(r), "ratio": r.ratio} for r in results],
    }
    RESULTS.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    rows = ["| benchmark | canh | peer | ratio | target | met |", "|---|---|---|---|---|---|"]
    for r in results:
        peer = (
            f"{r.peer}: {r.peer_value:g} {r.unit}" if r.peer and r.peer_value is not None else "–"
        )
        ratio = f"{r.ratio:g}×" if r.ratio is not None else "–"
        met = {True: "yes", False: "**no**", None: "–"}[r.met]
        rows.append(f"| {r.name} | {r.value:g} {r.unit} | {peer} | {ratio} | {r.target} | {met} |")
    table = "\n".join(rows)
    stamp = f"\n_Last run {payload['generated_at']} on {payload['machine']} (`{command}`)._\n"
    text = README.read_text()
    if START in text and END in text:
        text = re.sub(
            re.escape(START) + ".*?" + re.escape(END),
            lambda _m: f"{START}\n{table}\n{stamp}{END}",
            text,
            flags=re.DOTALL,
        )
        README.write_text(text)
