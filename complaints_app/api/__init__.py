"""The JSON API (``/api/v1``): bearer tokens only, problem details for every error, and an
OpenAPI 3.1 document made by flask-smorest from the marshmallow schemas that also validate
every request and serialise every response.

No cookie is read or set under ``/api/``: a browser's session cannot act here, so there is
nothing for cross-site request forgery to ride on and no CSRF token is asked for. No CORS
header is sent, so other sites' pages cannot read the answers.
"""

from __future__ import annotations

import http

from flask import Flask, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response

from complaints_app.api import problems
from complaints_app.api.schemas import ProblemOut
from complaints_app.authz import TokenActor
from complaints_app.extensions import csrf, limiter
from complaints_app.ratelimit import _keyed, client_key
from complaints_app.security import no_store

PREFIX = "/api/v1"

bp = Blueprint(
    "api",
    __name__,
    url_prefix=PREFIX,
    description="Cases filed by a legal aid organisation, and public statistics.",
)

# The one list of API endpoints that answer without a token. Everything else needs one.
PUBLIC_ENDPOINTS = frozenset({"api.stats"})

BEARER = "bearerAuth"


def token_key() -> str:
    """Rate-limit key: the token presented (its public id, hashed), else the client. Runs
    before authentication, so it reads the header itself."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    parts = credentials.strip().split("_")
    if scheme.lower() == "bearer" and len(parts) >= 3 and parts[0] == "ta":
        return "t:" + _keyed(parts[1])
    return client_key()


limiter.limit(lambda: current_app.config["API_LIMIT_PER_TOKEN"], key_func=token_key)(bp)
csrf.exempt(bp)


@bp.before_request
def authenticate():
    """Every endpoint but ``PUBLIC_ENDPOINTS`` needs a live bearer token; the token's account
    and scope become the request's actor (``authz.TokenActor``)."""
    from complaints_app.services import api_tokens

    no_store()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise problems.ApiProblem("missing-token")
    token = api_tokens.authenticate(credentials.strip())
    if token is None:
        raise problems.ApiProblem("invalid-token")
    g.token_actor = TokenActor(token.user, token.scope)
    api_tokens.touch(token)


class _NoCookiesOnApi(SecureCookieSessionInterface):
    """The app's cookie session everywhere but under ``/api/``, where there is none: a cookie
    sent there is ignored and none is ever set."""

    def open_session(self, app: Flask, req):
        if req.path.startswith("/api/"):
            return self.make_null_session(app)
        return super().open_session(app, req)


class ProblemApi(Api):
    """flask-smorest's Api, documenting every error as problem details."""

    ERROR_SCHEMA = ProblemOut

    def _register_responses(self):
        for status in http.HTTPStatus:
            if status < 400:
                continue
            response = {"description": status.phrase, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, problems.MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Problem details (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, problems.MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def _problem_types() -> str:
    lines = [
        f"- `{problems.type_uri(slug)}` ({status}): {title}"
        for slug, (status, title) in problems.PROBLEMS.items()
    ]
    return "\n".join(lines)


def init_app(app: Flask) -> None:
    """Register the API and its OpenAPI document (``/api/v1/openapi.json``, no viewer)."""
    from complaints_app.api import routes  # noqa: F401 — registers the endpoints

    app.session_interface = _NoCookiesOnApi()
    app.config.setdefault("API_TITLE", "Trust Act complaints API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": (
                    "Authenticate with `Authorization: Bearer <token>`; an advocate creates "
                    "tokens at /org/tokens. Errors are problem details (RFC 9457), one `type` "
                    "per kind of error:\n\n" + _problem_types()
                )
            },
            "components": {
                "securitySchemes": {
                    BEARER: {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A personal access token: ta_<id>_<secret>.",
                    }
                }
            },
            "security": [{BEARER: []}],
        },
    )
    api = ProblemApi(app)
    api.register_blueprint(bp)
