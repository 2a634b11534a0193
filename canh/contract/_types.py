"""Bounded scalar types shared by every contract: the wire never carries an unbounded value."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Name = Annotated[str, msgspec.Meta(max_length=256)]
Text = Annotated[str, msgspec.Meta(max_length=4096)]
Hash = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
Count = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
Days = Annotated[float, msgspec.Meta(ge=-36500, le=36500)]
When = Annotated[datetime, msgspec.Meta(tz=True)]
