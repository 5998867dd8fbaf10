"""The vendored OpenAPI subset must stay identical to the shared original, when there is one."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
VENDORED = REPO_ROOT / "tests" / "data" / "discord-openapi-subset.json"
SHARED = REPO_ROOT.parent / "shared" / "discord" / "openapi-subset.json"


def test_vendored_spec_is_present() -> None:
    assert VENDORED.is_file(), f"missing {VENDORED}"


def test_vendored_spec_matches_the_shared_copy() -> None:
    if not SHARED.is_file():
        pytest.skip(f"no shared spec at {SHARED} to compare the vendored copy with")
    assert VENDORED.read_bytes() == SHARED.read_bytes(), (
        f"{VENDORED} differs from {SHARED}; copy the shared file over the vendored one"
    )
