"""Bounded scalar types shared by every contract: the wire never carries an unbounded value."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Name = Annotated[str, msgspec.Meta(max_length=256)]
Text = Annotated[str, msgspec.Meta(max_length=4096)]
# A SHA-256 in lower-case hex. The pattern is published in the JSON Schema and checked by
# ``is_hash`` where a Hash is decoded (Section), not by msgspec, which would run a regular
# expression for every section of every report.
Hash = Annotated[
    str,
    msgspec.Meta(min_length=64, max_length=64, extra_json_schema={"pattern": "^[0-9a-f]{64}$"}),
]
Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
Count = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
Days = Annotated[float, msgspec.Meta(ge=-36500, le=36500)]
When = Annotated[datetime, msgspec.Meta(tz=True)]


def is_hash(value: str) -> bool:
    """Whether ``value`` (64 characters long) is lower-case hex, as ``Hash`` requires."""
    return not value.strip("0123456789abcdef")
