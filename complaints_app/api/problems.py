"""Errors of the API as problem details (RFC 9457): ``application/problem+json`` with a
stable ``type`` per kind of error, so that scripts can branch on it rather than on words."""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import Response
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "/api/v1/problems/"


# slug → (status, title). The slugs are part of the API: never rename one.
PROBLEMS: dict[str, tuple[int, str]] = {
    "bad-request": (400, "The request could not be read"),
    "invalid-cursor": (400, "The cursor is not one this API gave out"),
    "missing-token": (401, "A bearer token is needed"),
    "invalid-token": (401, "The token is unknown, expired or revoked"),
    "insufficient-scope": (403, "The token does not allow this"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "not-acceptable": (406, "Not acceptable"),
    "conflict": (409, "The case changed meanwhile; read it again and retry"),
    "too-large": (413, "The request is too large"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "validation-failed": (422, "Some fields are not valid"),
    "operation-refused": (409, "The case does not allow this now"),
    "file-refused": (422, "The file was not accepted"),
    "idempotency-key-reused": (422, "This Idempotency-Key was used with another request"),
    "rate-limited": (429, "Too many requests"),
    "internal-error": (500, "Something went wrong on our side; nothing was saved"),
    "unavailable": (503, "Not saved; please retry"),
}

# The problem a bare status code stands for.
BY_STATUS = {
    400: "bad-request",
    401: "missing-token",
    403: "insufficient-scope",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "rate-limited",
    500: "internal-error",
    503: "unavailable",
}


def type_uri(slug: str) -> str:
    return TYPE_PREFIX + slug


class ApiProblem(HTTPException):
    """Raise to answer with one of ``PROBLEMS``; ``detail`` is for people, ``errors`` names
    the fields at fault."""

    def __init__(
        self, slug: str, detail: str | None = None, errors: dict | None = None, headers=None
    ) -> None:
        self.code = PROBLEMS[slug][0]
        super().__init__(description=detail)
        self.slug = slug
        self.detail = detail
        self.errors = errors
        self.extra_headers = dict(headers or {})


def problem_response(
    slug: str,
    *,
    detail: str | None = None,
    errors: dict | None = None,
    headers: dict | None = None,
) -> Response:
    """The problem-details response for ``slug``."""
    status, title = PROBLEMS[slug]
    body: dict = {"type": type_uri(slug), "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == HTTPStatus.UNAUTHORIZED:
        # RFC 6750: the scheme to use, and whether the token presented was the problem.
        error = ', error="invalid_token"' if slug == "invalid-token" else ""
        response.headers["WWW-Authenticate"] = f'Bearer realm="api"{error}'
    return response


def from_exception(error: HTTPException) -> Response:
    """Any HTTP error raised on an API path, as problem details. Validation errors of the
    schemas carry their field messages; a 405 keeps its Allow header."""
    if isinstance(error, ApiProblem):
        return problem_response(
            error.slug, detail=error.detail, errors=error.errors, headers=error.extra_headers
        )
    code = error.code or 500
    slug = BY_STATUS.get(code, "internal-error" if code >= 500 else "bad-request")
    errors = None
    data = getattr(error, "data", None)
    if isinstance(data, dict) and isinstance(data.get("messages"), dict):
        errors = data["messages"]
    headers = {
        name: value
        for name, value in error.get_headers()
        if name.lower() in ("allow", "retry-after")
    }
    return problem_response(slug, errors=errors, headers=headers)
