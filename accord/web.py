"""HTTP plumbing shared by every domain: error responses, security headers, page rendering.

Errors are JSON `{"detail", "errors": [{"field", "message"}]}` under `/api/`, and an HTML page in the
visitor's language everywhere else.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response, post
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar._signature.types import ExtendedMsgSpecValidationError
from litestar.exceptions import HTTPException, ValidationException
from litestar._openapi.schema_generation import SchemaCreator
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Schema
from litestar.params import JSONBody
from litestar.plugins.pydantic import PydanticSchemaPlugin
from litestar.response import Redirect, Template
from litestar.routes import HTTPRoute
from litestar.status_codes import (
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
)
from litestar.types import Message, Scope
from litestar.typing import FieldDefinition
from pydantic import BaseModel

from accord import i18n
from accord.auth import LANGUAGE_COOKIE
from accord.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    RateLimited,
    TooLarge,
    UnsupportedMedia,
)
from accord.i18n import N_, gettext
from accord.screening import database_int
from accord.statemachine import ActionRequest
from accord.validation import error_messages

log = logging.getLogger("accord")

_STATUS_OF = {
    InvalidInput: HTTP_422_UNPROCESSABLE_ENTITY,
    NotAuthenticated: HTTP_401_UNAUTHORIZED,
    Forbidden: HTTP_403_FORBIDDEN,
    NotFound: HTTP_404_NOT_FOUND,
    Conflict: HTTP_409_CONFLICT,
    RateLimited: HTTP_429_TOO_MANY_REQUESTS,
    UnsupportedMedia: 415,
    TooLarge: 413,
}
# What a visitor reads for errors raised by the framework itself (unknown page, bad CSRF token, ...).
_GENERIC_DETAIL = {
    400: N_("The request could not be understood."),
    401: N_("Please sign in to continue."),
    403: N_("You are not allowed to do this. If you submitted a form, reload the page and try again."),
    404: N_("There is nothing here. The address may be mistyped, or the page may have moved."),
    405: N_("This address does not accept this kind of request."),
    409: N_("This changed in the meantime. Reload and try again."),
    413: N_("What you sent is too large."),
    415: N_("This type of file or content is not accepted."),
    422: N_("Some fields need your attention."),
    429: N_("Too many requests. Wait a moment and try again."),
    500: N_("Something went wrong on our side. It has been logged; please try again later."),
}

SECURITY_HEADERS = [
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
]


# Routes outside /api/v1 that machines read (open data) mark themselves with `opt=JSON_ERRORS`: their errors
# come back in the API's JSON shape, not as pages.
JSON_ERRORS = {"json_errors": True}


def is_api(request: Request[Any, Any, Any]) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    handler = request.scope.get("route_handler")
    return bool(handler is not None and handler.opt.get("json_errors"))


def _ensure_language(request: Request[Any, Any, Any]) -> None:
    """Requests that never reached a route (unknown path) did not pass ViewerMiddleware."""
    state = request.scope.setdefault("state", {})
    if "language" not in state:
        state["language"] = i18n.choose_language(
            request.query_params.get("lang"),
            request.cookies.get(LANGUAGE_COOKIE),
            i18n.from_accept_language(request.headers.get("accept-language")),
        )
        i18n.use_language(state["language"])


def error_response(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    errors: list[FieldError] | tuple[FieldError, ...] = (),
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    if is_api(request):
        body = {"detail": detail, "errors": [{"field": e.field, "message": e.message} for e in errors]}
        return Response(body, status_code=status, headers=headers, media_type=MediaType.JSON)
    _ensure_language(request)
    request.scope.setdefault("user", None)  # unknown paths never reached ViewerMiddleware
    return Template(
        template_name="errors/error.html",
        context={"status": status, "detail": detail, "errors": errors},
        status_code=status,
        headers=headers,
        media_type=MediaType.HTML,
    )  # type: ignore[return-value]


def login_redirect(request: Request[Any, Any, Any]) -> Redirect:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/login?next={quote(target)}")


def handle_domain_error(request: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    if isinstance(error, NotAuthenticated) and not is_api(request) and request.method == "GET":
        return login_redirect(request)  # type: ignore[return-value]
    headers: dict[str, str] = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    status = next(code for kind, code in _STATUS_OF.items() if isinstance(error, kind))
    errors = error.errors if isinstance(error, InvalidInput) else ()
    return error_response(request, status, error.detail, errors, headers)


def _validation_errors(error: ValidationException) -> list[FieldError]:
    if isinstance(error.__cause__, ExtendedMsgSpecValidationError):  # a Pydantic model's: in the visitor's words
        return error_messages(error.__cause__.errors)
    result = []
    for item in error.extra if isinstance(error.extra, list) else []:
        if isinstance(item, dict):
            result.append(FieldError(str(item.get("key") or "__all__"), str(item.get("message", ""))))
    return result


def handle_http_exception(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    _ensure_language(request)
    if isinstance(error, ValidationException):
        # Litestar reports unparseable or invalid bodies as 400; the contract says 422 for fields.
        errors = _validation_errors(error)
        status = HTTP_422_UNPROCESSABLE_ENTITY if errors else error.status_code
        return error_response(request, status, gettext(_GENERIC_DETAIL[status]), errors)
    status = error.status_code
    if status == HTTP_401_UNAUTHORIZED and not is_api(request) and request.method == "GET":
        return login_redirect(request)  # type: ignore[return-value]
    detail = gettext(_GENERIC_DETAIL[status]) if status in _GENERIC_DETAIL else error.detail
    return error_response(request, status, detail, headers=error.headers)


def handle_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    _ensure_language(request)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, gettext(_GENERIC_DETAIL[500]))


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}


HSTS = ("strict-transport-security", "max-age=31536000; includeSubDomains")


async def add_security_headers(message: Message, scope: Scope) -> None:
    """`before_send` hook: CSP and friends on every HTTP response, error pages and static files included.

    Everything but static files is `no-store` (unless its handler chose a cache policy): pages and API
    answers carry cases, names and CSRF tokens that no shared or back-button cache may keep.
    """
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in SECURITY_HEADERS:
            headers.add(name, value)
        if not scope["path"].startswith("/static/") and "cache-control" not in headers:
            headers.add("cache-control", "no-store")
        settings = scope["app"].state.get("settings")
        if settings is not None and settings.base_url.startswith("https://"):
            headers.add(*HSTS)


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to after a form; anything pointing off-site becomes `default`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def page(template: str, status: int = 200, **context: Any) -> Template:
    """An HTML page; templates reach the viewer as `request.user`."""
    return Template(template_name=template, context=context, status_code=status, media_type=MediaType.HTML)


# One part of a dotted form name: a field name, or a list index in ASCII digits (str.isdigit() also
# accepts "²", which int() refuses, and "٣", which int() reads as 3).
_NAME_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]{1,3}")


def nest_form(form: dict[str, Any]) -> dict[str, Any]:
    """Dotted form names become the JSON API's shape: `enterprise.uscc` nests, `remedies.0.type` lists.

    Names starting with `_` (the CSRF token) are dropped. A name that is not a dotted path of field
    names and indexes, that starts with an index (the form is an object, never a list), or that is both
    a value and a group (`a=1&a.b=2`), is a field error.
    """
    nested: dict[str, Any] = {}
    for name, value in form.items():
        if name.startswith("_"):
            continue
        *parents, leaf = parts = name.split(".")
        if not all(_NAME_PART.fullmatch(part) for part in parts) or parts[0].isdigit():
            raise _bad_form_name(name)
        target = nested
        for parent in parents:
            target = target.setdefault(parent, {})
            if not isinstance(target, dict):
                raise _bad_form_name(name)
        if isinstance(target.get(leaf), dict):
            raise _bad_form_name(name)
        target[leaf] = value
    return _numbered_to_lists(nested)


def _bad_form_name(name: str) -> InvalidInput:
    return InvalidInput.one(name, gettext(N_("This field name is not accepted here.")))


def _numbered_to_lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    node = {key: _numbered_to_lists(value) for key, value in node.items()}
    if node and all(key.isdigit() for key in node):  # only ASCII digits pass _NAME_PART
        return [node[key] for key in sorted(node, key=int)]
    return node


def versioned(data: dict[str, Any], missing: str) -> tuple[int, dict[str, Any]]:
    """Split an API action body into the version the client acts on and the action's payload."""
    payload = dict(data)
    version = payload.pop("version", None)
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidInput.one("version", missing)
    return version, payload


def payload_from_form(nested: dict[str, Any]) -> dict[str, Any]:
    """Drop what the visitor left empty, so optional fields take their defaults and blank rows vanish."""
    cleaned = _without_blanks(nested)
    return cleaned if isinstance(cleaned, dict) else {}


def _without_blanks(node: Any) -> Any:
    if isinstance(node, dict):
        kept = {key: _without_blanks(value) for key, value in node.items()}
        kept = {key: value for key, value in kept.items() if value not in ("", None, {}, [])}
        # A money amount with no number is no amount at all, whatever currency the select shows.
        if set(kept) == {"currency"}:
            return {}
        return kept
    if isinstance(node, list):
        return [item for item in (_without_blanks(value) for value in node) if item not in ("", None, {}, [])]
    if isinstance(node, str):
        return node.strip()
    return node


def form_versioned(payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The same for a form: a missing, garbled or impossible version can only be stale (-1 never matches)."""
    version = database_int(str(payload.pop("version", "")))
    return (-1 if version is None else version), payload


# --- typed action routes ---------------------------------------------------------------------------


class FieldErrorOut(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """Every 4xx body of the API (DESIGN §11); `errors` names the fields at fault (often empty)."""

    detail: str
    errors: list[FieldErrorOut]


ACTION_ERRORS = {
    401: "Not signed in.",
    403: "Your role may never do this action.",
    404: "Unknown, or not visible to you.",
    409: "Not possible in the current state, or a stale version: `detail` names the current state and version.",
    422: "Invalid fields, each named in `errors`.",
}


def error_responses(descriptions: dict[int, str] = ACTION_ERRORS) -> dict[int, ResponseSpec]:
    return {status: ResponseSpec(ErrorOut, description=text) for status, text in descriptions.items()}


# What any operation may answer besides its own success, whatever it does: the shell's screening, the
# framework's parsing, authentication, CSRF, lookups and the domain errors (`_STATUS_OF`).
API_ERRORS = {
    400: "The request could not be read (a body that is not JSON, or not of the documented shape).",
    401: "Not signed in.",
    403: "Your role may not do this; signed in by cookie, an unsafe request without its CSRF token.",
    404: "Unknown, or not visible to you.",
    409: "Not possible in the current state, or a stale version: `detail` names the current state and version.",
    422: "Invalid fields, each named in `errors`.",
    429: "Too many attempts: wait `Retry-After` seconds.",
}
UPLOAD_ERRORS = {413: "The file is too large.", 415: "The file is of a type not accepted (sniffed, not named)."}
PAGE = ResponseSpec(str, media_type=MediaType.HTML, description="A page, or an error page, in the visitor's language.")
REDIRECT = ResponseSpec(None, description="Elsewhere: the page after a form, or sign-in for a visitor not signed in.")


def document_responses(app: Any) -> None:
    """Give every operation in the OpenAPI schema the statuses and bodies it really answers with (DESIGN §11):
    the API's errors `{detail, errors}` (not Litestar's own 400 shape); pages are HTML, their forms redirect
    or show their result, and their errors are HTML pages; a file is of the type it says. An operation's own
    `responses` (e.g. an action's) stay as they are."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler) or not handler.resolve_include_in_schema():
                continue
            data = handler.parsed_fn_signature.parameters.get("data")
            uploads = getattr(data and data.kwarg_definition, "media_type", None) == RequestEncodingType.MULTI_PART
            errors = {**API_ERRORS, **(UPLOAD_ERRORS if uploads else {})}
            returns = handler.parsed_fn_signature.return_type
            if route.path.startswith("/api/") or handler.opt.get("json_errors"):
                statuses = error_responses(errors)
            else:
                statuses = {status: PAGE for status in (200, *errors)} | {302: REDIRECT}
                if returns.annotation is Any:
                    statuses[handler.status_code] = PAGE
            if returns.is_subclass_of(Response) and returns.inner_types and handler.media_type in ("", MediaType.JSON):
                # A file sent with the type sniffed from its content (evidence, proofs, CSV): any type.
                body = returns.inner_types[0].annotation
                statuses[handler.status_code] = ResponseSpec(body, media_type="*/*", description="The file.")
            handler.responses = {**statuses, **(handler.responses or {})}


class ClosedModelsSchemaPlugin(PydanticSchemaPlugin):
    """Litestar's schemas of Pydantic models, and a model that forbids fields it does not name says so
    (`additionalProperties: false`, which Litestar leaves out): every request model (`Strict`), and a model
    that says so in its `json_schema_extra` (a sealed record event, never then also read as a full one)."""

    @classmethod
    def for_pydantic_model(cls, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().for_pydantic_model(field_definition, schema_creator)
        config = field_definition.annotation.model_config
        extra = config.get("json_schema_extra")
        if config.get("extra") == "forbid" or (isinstance(extra, dict) and extra.get("additionalProperties") is False):
            schema.additional_properties = False
        return schema


def answer_options_with_every_method(app: Any) -> None:
    """Litestar rebuilds a path's route when more handlers join it but keeps the first route's OPTIONS handler,
    whose `Allow` then names only the first handlers' methods (GET /login without POST): point each at its route."""
    for route in app.routes:
        if isinstance(route, HTTPRoute) and "OPTIONS" in route.route_handler_map:
            for cell in route.route_handler_map["OPTIONS"][0].fn.__closure__ or ():
                if isinstance(cell.cell_contents, HTTPRoute):
                    cell.cell_contents = route


def action_route(
    path: str,
    action: str,
    body: type[ActionRequest],
    act: Callable[..., Awaitable[Any]],
    parameters: dict[str, Any],
    returns: Any,
    **options: Any,
) -> HTTPRouteHandler:
    """`POST path` for one action of a transition table, documented with its request body and error bodies.
    The body is validated against `body` before anything is looked up (422 whoever asks: it tells nothing);
    `act(action=..., data=..., **parameters)` does the work; `parameters` name the handler's other
    parameters and their annotations (path parameters, dependencies)."""

    keyword_only = inspect.Parameter.KEYWORD_ONLY

    async def handler(**values: Any) -> Any:
        return await act(action=action, **values)

    annotations = {**parameters, "data": JSONBody[body]}  # type: ignore[valid-type]
    handler.__annotations__ = {**annotations, "return": returns}
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, keyword_only, annotation=kind) for name, kind in annotations.items()],
        return_annotation=returns,
    )
    handler.__name__ = handler.__qualname__ = f"{action}_action"
    return post(path, status_code=200, responses=error_responses(), **options)(handler)
