"""Gather every section into a report: each section timed, bounded, and failing on its own."""

from __future__ import annotations

import concurrent.futures
import time
from datetime import UTC, datetime
from typing import Any

import msgspec

from agent.host import FactError, Host
from agent.sections import SOURCES, SectionSource
from canh import __version__
from canh.contract import Report, Section, Sections, fact_hash


def _now() -> datetime:
    return datetime.now(UTC)


def gather_section(source: SectionSource, host: Host) -> Section[Any]:
    """One section's envelope: data, not applicable, or the error that stopped it."""
    started = time.monotonic()
    collected_at = _now()
    gatherer = source.gatherer(host.os_family)

    def envelope(**fields: Any) -> Section[Any]:
        duration = int((time.monotonic() - started) * 1000)
        return Section(collected_at=collected_at, duration_ms=duration, **fields)

    if gatherer is None:
        return envelope(status="not_applicable")
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=source.name)
    try:
        data = pool.submit(gatherer, host).result(timeout=source.timeout)
    except concurrent.futures.TimeoutError:
        return envelope(status="error", error=f"timed out after {source.timeout:g} s")
    except FactError as err:
        return envelope(status="error", error=str(err)[:4000] or type(err).__name__)
    except (OSError, ValueError, KeyError, TypeError, msgspec.ValidationError) as err:
        # A parser meeting output it did not expect: report it, keep the other sections.
        return envelope(status="error", error=f"{type(err).__name__}: {err}"[:4000])
    finally:
        pool.shutdown(wait=False)
    return envelope(status="ok", data=data, hash=fact_hash(data))


def gather(
    host: Host,
    agent_id: str,
    seq: int,
    previous: dict[str, str] | None = None,
    only: frozenset[str] | None = None,
) -> Report:
    """A report; sections whose hash equals ``previous[name]`` are sent as ``unchanged``.

    ``previous`` holds the hashes of the last *acknowledged full* send; without it the report is
    full.
    """
    sections: dict[str, Section[Any]] = {}
    for source in SOURCES:
        if only is not None and source.name not in only:
            continue
        section = gather_section(source, host)
        if previous and section.status == "ok" and previous.get(source.name) == section.hash:
            section = Section(
                status="unchanged",
                collected_at=section.collected_at,
                duration_ms=section.duration_ms,
                hash=section.hash,
            )
        sections[source.name] = section
    return Report(
        schema_version=1,
        agent_id=agent_id,
        agent_version=__version__,
        kind="delta" if previous else "full",
        seq=seq,
        collected_at=_now(),
        sections=Sections(**sections),
    )
