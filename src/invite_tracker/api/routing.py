"""A route class that answers every failure in the envelope and documents its input."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from invite_tracker.api.errors import error_response
from invite_tracker.api.inputs import INPUT_MODEL_ATTRIBUTE, openapi_for_input


class EnvelopeRoute(APIRoute):
    """Every exception raised while handling the request becomes an envelope response.

    Errors raised by dependencies (authentication, parsing, the unit of work's commit) pass
    through here too, so the one table in `errors.py` answers all of them.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        model = _input_model(self.dependant)
        if model is not None and not self.openapi_extra:
            method = "GET" if "GET" in (self.methods or ()) else "POST"
            self.openapi_extra = openapi_for_input(model, method)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                return error_response(exc, getattr(request.state, "request_id", None))

        return handle


def _input_model(dependant: Any) -> Any:
    for dependency in dependant.dependencies:
        model = getattr(dependency.call, INPUT_MODEL_ATTRIBUTE, None)
        if model is not None:
            return model
    return None


def documented(data: Any, *errors: type[Exception], public: bool = False) -> dict[str, Any]:
    """Route options: the success envelope around `data` and the errors the route answers
    (`public`: the route needs no API key)."""
    from invite_tracker.api.envelope import Envelope
    from invite_tracker.api.errors import error_docs

    responses = error_docs(*errors, public=public)  # type: ignore[arg-type]
    return {"response_model": Envelope[data], "responses": responses}
