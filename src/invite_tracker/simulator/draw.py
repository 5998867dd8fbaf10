"""Small deterministic drawing helpers shared by the scenario generators."""

from __future__ import annotations

import random


def delay(rng: random.Random, jitter: tuple[float, float]) -> float:
    """One gateway delay, rounded to the millisecond so timelines print and compare cleanly."""
    return round(rng.uniform(*jitter), 3)


def instant(rng: random.Random, start: float, end: float) -> float:
    """A moment in `[start, end]`, rounded to the millisecond."""
    return round(rng.uniform(start, end), 3)


def code_of(scenario: str, seed: int, index: int) -> str:
    """A readable invite code, unique within a run: `st7x03` is steady's fourth, seed 7."""
    return f"{scenario[:2]}{seed}x{index:02d}"


def spread(rng: random.Random, count: int, duration: float) -> list[float]:
    """`count` instants at random in `[0, duration]`, sorted (a Poisson-like arrival)."""
    return sorted(instant(rng, 0.0, duration) for _ in range(count))
