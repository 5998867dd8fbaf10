"""Every route's answers (successes and errors) validate against Discord's OpenAPI subset.

See `Spec` in conftest.py for how the vendored document is used (and its one deviation).
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx
import pytest

from invite_tracker.testing.fake_discord import ROUTES, UNDOCUMENTED_ROUTES, FakeDiscord
from tests.integration.discord.spec_cases import CASES, Scene, build_scene

RATE_LIMIT_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Reset-After",
    "X-RateLimit-Bucket",
)


class SpecLike(Protocol):
    """What the `spec` fixture (conftest's `Spec`) offers."""

    document: dict[str, Any]

    def check(self, path: str, method: str, response: httpx.Response) -> None:
        """Validate one answer against the spec."""


@pytest.fixture
async def scene(fake: FakeDiscord) -> Scene:
    return await build_scene(fake)


@pytest.mark.parametrize("case", list(CASES))
async def test_answers_match_discords_spec(
    case: str, fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene, spec: SpecLike
) -> None:
    path, method, status, call = CASES[case]
    response = await call(fake, http, scene)
    assert response.status_code == status, response.text
    spec.check(path, method, response)
    if "/interactions/" not in path:
        for header in RATE_LIMIT_HEADERS:
            assert header in response.headers, f"{header} missing on {case}"


UNDOCUMENTED = {"POST /guilds/{guild_id}/members-search"}
"""The one route served that Discord's spec does not describe: its undocumented member search
(its shapes are checked in test_fake_discord_member_search.py, against member_search_shapes)."""


def _in_spec(spec: SpecLike, path: str, method: str) -> bool:
    return method.lower() in spec.document["paths"].get(path, {})


def test_every_served_route_is_in_the_spec(spec: SpecLike) -> None:
    documented = [route for route in ROUTES if route.key not in UNDOCUMENTED]
    for route in documented:
        assert _in_spec(spec, route.path, route.method), route.key
    covered = {(path, method) for path, method, _, _ in CASES.values()}
    assert covered == {(route.path, route.method) for route in documented}


def test_the_undocumented_routes_are_named_and_still_undocumented(spec: SpecLike) -> None:
    served = {route.key: route for route in ROUTES}
    assert set(served) >= UNDOCUMENTED
    assert UNDOCUMENTED == UNDOCUMENTED_ROUTES
    for key in UNDOCUMENTED:  # once Discord documents one, check it like the others
        assert not _in_spec(spec, served[key].path, served[key].method), key
