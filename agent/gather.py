"""Gather every section into a report: each section timed, bounded, and failing on its own.

Sections run a few at a time in worker threads: most of their time is spent waiting for commands
(dpkg-query, ss, PowerShell), so overlapping them shortens a round without more CPU.
"""

from __future__ import annotations

import concurrent.futures
import time
from datetime import UTC, datetime
from typing import Any

import msgspec

from agent.host import FactError, Host
from agent.sections import SOURCES, Gatherer, SectionSource
from canh import __version__
from canh.contract.report import Report, Section, Sections, encode, fact_hash

WORKERS = 4


def _now() -> datetime:
    return datetime.now(UTC)


def _envelope(
    started: float, collected_at: datetime, ended: float | None = None, **fields: Any
) -> Section[Any]:
    duration = int(((ended or time.monotonic()) - started) * 1000)
    return Section(collected_at=collected_at, duration_ms=duration, **fields)


def _timed(gatherer: Gatherer, host: Host) -> tuple[msgspec.Struct, float, float]:
    """Run a gatherer in its worker, timing the section itself, not its wait for a worker."""
    started = time.monotonic()
    data = gatherer(host)
    return data, started, time.monotonic()


def _outcome(
    source: SectionSource,
    future: concurrent.futures.Future[tuple[msgspec.Struct, float, float]],
    started: float,
    collected_at: datetime,
) -> Section[Any]:
    """Wait for one section within its time limit and wrap the result or the error."""
    try:
        data, ran_from, ran_to = future.result(
            timeout=max(0.0, started + source.timeout - time.monotonic())
        )
    except concurrent.futures.TimeoutError:
        future.cancel()
        return _envelope(
            started, collected_at, status="error", error=f"timed out after {source.timeout:g} s"
        )
    except FactError as err:
        return _envelope(
            started, collected_at, status="error", error=str(err)[:4000] or type(err).__name__
        )
    except (OSError, ValueError, KeyError, TypeError, msgspec.ValidationError) as err:
        # A parser meeting output it did not expect: report it, keep the other sections.
        return _envelope(
            started, collected_at, status="error", error=f"{type(err).__name__}: {err}"[:4000]
        )
    return _envelope(ran_from, collected_at, ran_to, status="ok", data=data, hash=fact_hash(data))


def gather_sections(
    host: Host, sources: list[SectionSource], skip: frozenset[str] = frozenset()
) -> dict[str, Section[Any]]:
    """Every section's envelope: data, not applicable, skipped, or the error that stopped it."""
    out: dict[str, Section[Any]] = {}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="facts")
    pending = []
    try:
        for source in sorted(sources, key=lambda s: not s.slow):  # stable: slow ones first
            started, collected_at = time.monotonic(), _now()
            gatherer = source.gatherer(host.os_family)
            if gatherer is None:
                out[source.name] = _envelope(started, collected_at, status="not_applicable")
            elif source.name in skip:
                out[source.name] = _envelope(
                    started,
                    collected_at,
                    status="error",
                    error="skipped: the agent is above its memory ceiling",
                )
            else:
                future = pool.submit(_timed, gatherer, host)
                pending.append((source, future, started, collected_at))
        for source, future, started, collected_at in pending:
            out[source.name] = _outcome(source, future, started, collected_at)
    finally:
        # A hung section's thread is abandoned, not waited for: the report goes out without it.
        pool.shutdown(wait=False, cancel_futures=True)
    return {s.name: out[s.name] for s in sources}


def gather_section(source: SectionSource, host: Host) -> Section[Any]:
    """One section's envelope."""
    return gather_sections(host, [source])[source.name]


def gather(
    host: Host,
    agent_id: str,
    seq: int,
    previous: dict[str, str] | None = None,
    only: frozenset[str] | None = None,
    skip_expensive: bool = False,
) -> Report:
    """A report; sections whose hash equals ``previous[name]`` are sent as ``unchanged``.

    ``previous`` holds the hashes of the last *acknowledged* sends; without it the report is
    full. ``skip_expensive`` leaves out the costly sections (memory watchdog).
    """
    sources = [s for s in SOURCES if only is None or s.name in only]
    skip = frozenset(s.name for s in sources if s.expensive) if skip_expensive else frozenset()
    sections = gather_sections(host, sources, skip)
    for name, section in sections.items():
        if previous and section.status == "ok" and previous.get(name) == section.hash:
            sections[name] = Section(
                status="unchanged",
                collected_at=section.collected_at,
                duration_ms=section.duration_ms,
                hash=section.hash,
            )
    return Report(
        schema_version=1,
        agent_id=agent_id,
        agent_version=__version__,
        kind="delta" if previous else "full",
        seq=seq,
        collected_at=_now(),
        sections=Sections(**sections),
    )


def dry_run(host: Host, agent_id: str) -> bytes:
    """The full report the agent would send, encoded; nothing is sent or stored."""
    return encode(gather(host, agent_id, 1))
