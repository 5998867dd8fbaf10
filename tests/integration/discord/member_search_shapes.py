"""Shapes of Discord's undocumented member search, `POST /guilds/{guild_id}/members-search`.

Discord's OpenAPI spec does not describe the route, so these JSON schemas are written from
how public client libraries model it; the member object inside is the spec's own
`GuildMemberResponse` (validate with `Spec.validate`, which resolves `#/components/...`).
"""

from __future__ import annotations

from typing import Any

MEMBER_SEARCH_ROUTE = "POST /guilds/{guild_id}/members-search"
"""The one route the fake serves, and the service may call, that the spec does not describe."""

_SNOWFLAKE = {"$ref": "#/components/schemas/SnowflakeType"}

SEARCH_REQUEST: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
        "and_query": {
            "type": "object",
            "properties": {
                "user_id": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["or_query"],
                    "properties": {"or_query": {"type": "array", "items": _SNOWFLAKE}},
                }
            },
        },
    },
}

SEARCH_RESULT: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["guild_id", "members", "page_result_count", "total_result_count"],
    "properties": {
        "guild_id": _SNOWFLAKE,
        "members": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["member", "source_invite_code", "join_source_type", "inviter_id"],
                "properties": {
                    "member": {"$ref": "#/components/schemas/GuildMemberResponse"},
                    "source_invite_code": {"type": ["string", "null"]},
                    "join_source_type": {"type": "integer", "minimum": 0, "maximum": 7},
                    "inviter_id": {"oneOf": [_SNOWFLAKE, {"type": "null"}]},
                },
            },
        },
        "page_result_count": {"type": "integer", "minimum": 0},
        "total_result_count": {"type": "integer", "minimum": 0},
    },
}

NOT_INDEXED: dict[str, Any] = {
    "type": "object",
    "required": ["message", "code", "documents_indexed", "retry_after"],
    "properties": {
        "message": {"type": "string"},
        "code": {"const": 110000},
        "documents_indexed": {"type": "integer", "minimum": 0},
        "retry_after": {"type": "number", "exclusiveMinimum": 0},
    },
}

ERROR: dict[str, Any] = {"$ref": "#/components/schemas/ErrorResponse"}
