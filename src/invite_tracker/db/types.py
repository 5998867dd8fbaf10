"""Column types that keep Discord ids and times exact on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

_TWO_64 = 2**64


def signed(value: int, bits: int) -> int:
    """An unsigned `bits`-bit integer as the signed one with the same bits (two's complement)."""
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


class Snowflake(TypeDecorator[int]):
    """A Discord id (0 < id < 2**64) in a signed 64-bit column.

    Ids at or above 2**63 are stored as their two's complement, so every valid snowflake fits
    a BIGINT on both databases (SQLite would turn a larger integer into a float). Equality,
    which is all the queries need, is preserved.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return signed(value, 64)

    def process_result_value(self, value: int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return value + _TWO_64 if value < 0 else value


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp; SQLite, which keeps none, reads back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
