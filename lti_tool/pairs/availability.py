"""The accessible week grid (day × part of day, local time) and the engine's 7×24 UTC mask."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .vocabulary import DAY_PARTS, DAYS

WEEK_HOURS = 7 * 24
MASK_BYTES = 21


def slot_code(day: int, part: str) -> str:
    return f"{day}-{part}"


ALL_SLOTS = tuple(slot_code(d, p) for d in DAYS for p in DAY_PARTS)


def utc_offset_hours(timezone: str, at: datetime) -> float:
    """The zone's offset from UTC at `at`, in hours (DST as of that moment)."""
    try:
        offset = at.astimezone(ZoneInfo(timezone)).utcoffset()
    except ZoneInfoNotFoundError:
        return 0.0
    return offset.total_seconds() / 3600 if offset is not None else 0.0


def _utc_hours(slot: str, offset: float) -> list[int]:
    day_s, part = slot.split("-", 1)
    start, end = DAY_PARTS[part]
    # Whole-hour bits: a +5:30 zone rounds down to the hour it starts in.
    shift = int(offset // 1)
    return [(int(day_s) * 24 + h - shift) % WEEK_HOURS for h in range(start, end)]


def week_mask(slots: Iterable[str], timezone: str, at: datetime) -> bytes:
    """The 21-byte little-endian UTC mask for local-time slots (bit = day * 24 + hour)."""
    offset = utc_offset_hours(timezone, at)
    value = 0
    for slot in slots:
        for bit in _utc_hours(slot, offset):
            value |= 1 << bit
    return value.to_bytes(MASK_BYTES, "little")


def mask_int(mask: bytes | None) -> int:
    return int.from_bytes(mask or b"", "little")


def slots_overlapping(mask: int, timezone: str, at: datetime) -> list[str]:
    """The local-time grid cells of `timezone` that share at least one hour with `mask`."""
    offset = utc_offset_hours(timezone, at)
    return [s for s in ALL_SLOTS if any(mask >> b & 1 for b in _utc_hours(s, offset))]
