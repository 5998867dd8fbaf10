"""The engine options of `invite-tracker simulate` and the benchmark."""

from __future__ import annotations

import argparse

import pytest

from invite_tracker.settings import Settings
from invite_tracker.simulator.options import EngineChoices, add_engine_arguments, engine_choices


def parsed(*argv: str) -> EngineChoices:
    parser = argparse.ArgumentParser()
    add_engine_arguments(parser)
    return engine_choices(parser.parse_args(argv))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ((), EngineChoices(member_search=False, reads_per_join=1.0, reading_seconds=1.0)),
        (("--member-search",), EngineChoices(member_search=True)),
        (("--reads-per-join", "4", "--reading-seconds", "2.5"), EngineChoices(False, 4.0, 2.5)),
        (("--workers", "3"), EngineChoices(workers=3)),
    ],
)
def test_the_options_make_the_choices(argv: tuple[str, ...], expected: EngineChoices) -> None:
    assert parsed(*argv) == expected


def test_the_defaults_are_the_services() -> None:
    """A run without options is the service as it ships."""
    defaults = Settings()
    for name, value in EngineChoices().overrides().items():
        assert getattr(defaults, name) == value


def test_the_choices_set_settings_the_service_has() -> None:
    settings = Settings(**EngineChoices(True, 3.0, 2.0).overrides())
    assert (settings.member_search, settings.invite_reads_per_join) == (True, 3.0)
    assert settings.invite_reading_seconds == 2.0


@pytest.mark.parametrize("count", ["0", "-1", "two"])
def test_workers_must_be_a_positive_count(count: str) -> None:
    with pytest.raises(SystemExit):
        parsed("--workers", count)
