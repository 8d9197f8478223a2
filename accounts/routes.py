"""Accounts pages (sign-in, registration, profile, administration) and the `/api/v1` auth endpoints.

Handlers stay thin: parse, call `accounts.service` / `accounts.credentials`, render or redirect.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, Router, delete, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody
from litestar.response import Redirect
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from accord.auth import (
    SESSION_COOKIE,
    Viewer,
    ViewerResolver,
    bearer_token,
    optional_viewer,
    require_role,
    signed_in_viewer,
)
from accord.clock import Clock
from accord.errors import FieldError, InvalidInput, NotAuthenticated, NotFound, RateLimited
from accord.i18n import gettext as _
from accord.network import client_address
from accord.pagination import Page, window
from accord.settings import Settings
from accord.validation import parse
from accord.web import nest_form, page, safe_next
from accounts import audit, credentials, invitations, recovery, service, throttle
from accounts.schemas import (
    ActiveChangeIn,
    AdminUserOut,
    CloseAccountIn,
    ClosedOut,
    EnterpriseNameZhIn,
    EnterpriseOut,
    ForgotPasswordIn,
    ForgotPasswordOut,
    PasswordChangeIn,
    PasswordResetIn,
    ProfileIn,
    RegistrationIn,
    RoleChangeIn,
    TokenOut,
    TokenRequest,
    UserOut,
    VerificationIn,
    admin_user_out,
    time_zone_names,
    user_out,
)
from accounts.tables import AgentStatus, EnterpriseKind, Role

Form = URLEncodedBody[dict[str, Any]]


def _attempt(request: Request[Any, Any, Any], email: str, settings: Settings) -> throttle.Attempt:
    """Who is trying a password: their address, and their device if it signed in to this account before."""
    device = throttle.known_device(request.cookies.get(throttle.DEVICE_COOKIE), email, settings.secret_key)
    return throttle.Attempt(client_address(request), device)


def _device_cookie(email: str, settings: Settings) -> Cookie:
    """Marks this browser as one that signed in to the account: strangers' wrong guesses never slow it."""
    return Cookie(
        key=throttle.DEVICE_COOKIE,
        value=throttle.new_device_cookie(email, settings.secret_key),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=throttle.DEVICE_COOKIE_DAYS * 86400,
    )


def _session_cookie(value: str, settings: NamedDependency[Settings]) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=settings.session_max_hours * 3600,
    )


def _expired_session_cookie(settings: NamedDependency[Settings]) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE, value="", httponly=True, samesite="lax", secure=settings.secure_cookies, path="/", max_age=0
    )


def _registration_data(form: dict[str, Any]) -> dict[str, Any]:
    data = nest_form({key: value for key, value in form.items() if key != "next"})
    data["consent"] = data.get("consent") == "yes"  # the box, ticked or not: RegistrationIn wants it ticked
    enterprise = data.pop("enterprise", None)
    if data.get("role") == "merchant" and isinstance(enterprise, dict):
        urls = enterprise.get("shop_urls", "")
        enterprise["shop_urls"] = [line.strip() for line in str(urls).splitlines() if line.strip()]
        enterprise = {key: value for key, value in enterprise.items() if value not in ("", None)}
        data["enterprise"] = enterprise
    return data


def viewer_resolver(settings: NamedDependency[Settings]) -> ViewerResolver:
    """The resolver ViewerMiddleware uses: bearer token first, then the session cookie (whose statement
    carries the unread badge's counts when they are asked for)."""
    idle = timedelta(minutes=settings.session_idle_minutes)
    lifetime = timedelta(hours=settings.session_max_hours)

    async def resolve(
        connection: ASGIConnection[Any, Any, Any, Any], badge: tuple[str, str] | None
    ) -> tuple[Viewer | None, Mapping[str, int] | None]:
        clock: NamedDependency[Clock] = connection.app.state.clock
        if token := bearer_token(connection):
            return await credentials.viewer_from_token(token, clock), None
        if session_id := connection.cookies.get(SESSION_COOKIE):
            return await credentials.viewer_and_counts_from_session(session_id, clock, idle, lifetime, badge)
        return None, None

    return resolve


# --- sign in / out -------------------------------------------------------------------------------


def landing(user: dict[str, Any]) -> str:
    """Where someone's work is, for after sign-in: a mediator's queue, the registrars' desk, the cases of a
    consumer or an agent (an agent nobody has approved yet waits on their enterprise page)."""
    if user["role"] == Role.merchant and user["agent_status"] != AgentStatus.approved:
        return "/agency"
    return {Role.mediator: "/queue", Role.admin: "/admin"}.get(user["role"], "/cases")


@get("/login", name="login")
async def login_page(
    next: FromQuery[str | None] = None, reset: FromQuery[bool] = False, closed: FromQuery[bool] = False
) -> Any:
    return page("accounts/login.html", next=safe_next(next, ""), form={}, errors={}, reset=reset, closed=closed)


@post("/login")
async def login(
    request: Request[Any, Any, Any], data: Form, clock: NamedDependency[Clock], settings: NamedDependency[Settings]
) -> Any:
    next_path = safe_next(data.get("next"), "")  # "": where their work is, once we know who they are
    email = str(data.get("email", ""))
    attempt = _attempt(request, email, settings)
    try:
        user = await credentials.authenticate(
            email, str(data.get("password", "")), attempt, clock, settings.login_attempts_per_minute
        )
    except RateLimited as error:
        response = page("accounts/login.html", status=429, next=next_path, form={"email": email}, failure=error.detail)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except NotAuthenticated as error:
        return page("accounts/login.html", status=401, next=next_path, form={"email": email}, failure=error.detail)
    session_id = await credentials.start_session(user["id"], clock, replacing=request.cookies.get(SESSION_COOKIE))
    response = Redirect(next_path or landing(user))
    response.set_cookie(_session_cookie(session_id, settings))
    response.set_cookie(_device_cookie(user["email"], settings))
    return response


@get("/logout")
async def logout_page() -> Any:
    return page("accounts/logout.html")


@post("/logout")
async def logout(request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Any:
    if raw := request.cookies.get(SESSION_COOKIE):
        await credentials.end_session(raw)
    response = Redirect("/")
    response.set_cookie(_expired_session_cookie(settings))
    return response


# --- a forgotten password ------------------------------------------------------------------------


@get("/password/forgot")
async def forgot_page(sent: FromQuery[bool] = False) -> Any:
    return page("accounts/forgot.html", sent=sent, form={}, errors={})


@post("/password/forgot")
async def forgot(request: Request[Any, Any, Any], data: Form, clock: NamedDependency[Clock]) -> Any:
    form = {"email": str(data.get("email", ""))}
    try:
        asked = parse(ForgotPasswordIn, nest_form(data))
        await recovery.request_link(asked.email, client_address(request), clock)
    except InvalidInput as error:
        return page("accounts/forgot.html", status=422, form=form, errors=_by_field(error.errors))
    except RateLimited as error:
        response = page("accounts/forgot.html", status=429, form=form, errors={}, failure=error.detail)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    return Redirect("/password/forgot?sent=1")  # the same answer, whether an account has the address or not


async def _reset_page(token: str, clock: Clock, status: int = 200, errors: dict[str, str] | None = None) -> Any:
    """The form of a usable link; otherwise why the link opens nothing (404)."""
    try:
        owner = await recovery.link_owner(token, clock)
    except NotFound as error:
        return page("accounts/reset.html", status=404, owner=None, failure=error.detail)
    return page("accounts/reset.html", status=status, owner=owner, token=token, errors=errors or {})


@get("/password/reset/{token:str}")
async def reset_page(token: FromPath[str], clock: NamedDependency[Clock]) -> Any:
    return await _reset_page(token, clock)


@post("/password/reset/{token:str}")
async def reset(token: FromPath[str], data: Form, clock: NamedDependency[Clock]) -> Any:
    try:
        await recovery.reset_password(token, str(data.get("new_password", "")), clock)
    except NotFound:
        return await _reset_page(token, clock)
    except InvalidInput as error:
        return await _reset_page(token, clock, status=422, errors=_by_field(error.errors))
    return Redirect("/login?reset=1")


# --- registration --------------------------------------------------------------------------------


async def _register_page(
    form: dict[str, Any], clock: Clock, status: int = 200, errors: dict[str, str] | None = None
) -> Any:
    """The form; with a colleague's invitation it names the enterprise joined, or says the link is spent."""
    token = str(form.get("invitation") or "")
    invited = await invitations.preview(token, clock) if token else None
    return page("accounts/register.html", status=status, form=form, invited=invited, errors=errors or {})


def _filing_next(target: Any) -> str:
    """Where a new consumer goes on from registering when they came from a filing link (the guide's, filled in):
    that filing form; any other target is ignored (they go to the empty form, as every new consumer does)."""
    path = safe_next(str(target or ""), "")
    return path if path.partition("?")[0] == "/cases/new" else ""


@get("/register")
async def register_page(
    clock: NamedDependency[Clock],
    role: FromQuery[str] = "consumer",
    invitation: FromQuery[str | None] = None,
    next: FromQuery[str | None] = None,
) -> Any:
    if invitation:
        return await _register_page({"role": "merchant", "invitation": invitation[:100]}, clock)
    form = {"role": "merchant" if role == "merchant" else "consumer", "next": _filing_next(next)}
    return await _register_page(form, clock)


@post("/register")
async def register(
    request: Request[Any, Any, Any], data: Form, clock: NamedDependency[Clock], settings: NamedDependency[Settings]
) -> Any:
    try:
        registration = parse(RegistrationIn, _registration_data(data))
        user = await service.register(registration, clock, settings.timezone.key)
    except InvalidInput as error:
        form = {key: value for key, value in data.items() if "password" not in key}
        return await _register_page(form, clock, status=422, errors=_by_field(error.errors))
    session_id = await credentials.start_session(user["id"], clock, replacing=request.cookies.get(SESSION_COOKIE))
    # A new agent's next step is their enterprise page (waiting for approval, or their colleagues); a new
    # consumer came to complain.
    filing = _filing_next(data.get("next"))
    if user["role"] == Role.merchant:
        response = Redirect("/agency?done=registered")
    else:
        response = Redirect(f"{filing}&welcome=1" if "?" in filing else "/cases/new?welcome=1")
    response.set_cookie(_session_cookie(session_id, settings))
    response.set_cookie(_device_cookie(user["email"], settings))
    return response


def _by_field(errors: list[FieldError]) -> dict[str, str]:
    return {error.field: error.message for error in errors}


# --- profile -------------------------------------------------------------------------------------


async def _profile_page(viewer: Viewer, status: int = 200, **extra: Any) -> Any:
    user = await service.get_user(viewer.id)
    tokens = await credentials.list_tokens(viewer)
    context: dict[str, Any] = {
        "user": user,
        "tokens": tokens,
        "errors": {},
        "form": {},
        "time_zones": time_zone_names(),
    }
    context.update(extra)
    return page("accounts/profile.html", status=status, **context)


@get("/profile", dependencies={"viewer": Provide(signed_in_viewer)})
async def profile_page(
    viewer: NamedDependency[Viewer], welcome: FromQuery[bool] = False, saved: FromQuery[bool] = False
) -> Any:
    return await _profile_page(viewer, welcome=welcome, saved=saved)


@post("/profile", dependencies={"viewer": Provide(signed_in_viewer)})
async def update_profile(viewer: NamedDependency[Viewer], data: Form, settings: NamedDependency[Settings]) -> Any:
    try:
        await service.update_profile(viewer, parse(ProfileIn, nest_form(data)))
    except InvalidInput as error:
        return await _profile_page(viewer, status=422, errors=_by_field(error.errors), form=data)
    response = Redirect("/profile?saved=1")
    response.set_cookie(_language_cookie(str(data["language"]), settings))
    return response


@post("/profile/password", dependencies={"viewer": Provide(signed_in_viewer)})
async def change_password(
    request: Request[Any, Any, Any],
    viewer: NamedDependency[Viewer],
    data: Form,
    clock: NamedDependency[Clock],
    settings: NamedDependency[Settings],
) -> Any:
    attempt = _attempt(request, viewer.email, settings)
    try:
        change = parse(PasswordChangeIn, nest_form(data))
        await service.change_password(viewer, change, attempt, clock, settings.login_attempts_per_minute)
    except InvalidInput as error:
        return await _profile_page(viewer, status=422, errors=_by_field(error.errors))
    except RateLimited as error:
        response = await _profile_page(viewer, status=429, errors={"current_password": error.detail})
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    return Redirect("/profile?saved=1")


@post("/profile/tokens", dependencies={"viewer": Provide(signed_in_viewer)})
async def create_token(viewer: NamedDependency[Viewer], data: Form, clock: NamedDependency[Clock]) -> Any:
    label = str(data.get("label", "")).strip()[:100]
    token = await credentials.issue_token(viewer.id, label or _("API token"), clock)
    return await _profile_page(viewer, new_token=token)


@post("/profile/tokens/{token_id:int}/revoke", dependencies={"viewer": Provide(signed_in_viewer)})
async def revoke_token_form(
    viewer: NamedDependency[Viewer], token_id: FromPath[int], clock: NamedDependency[Clock]
) -> Any:
    await credentials.revoke_token(viewer, token_id, clock)
    return Redirect("/profile?saved=1")


@post("/profile/close", dependencies={"viewer": Provide(signed_in_viewer)})
async def close_account(
    request: Request[Any, Any, Any],
    viewer: NamedDependency[Viewer],
    data: Form,
    clock: NamedDependency[Clock],
    settings: NamedDependency[Settings],
) -> Any:
    """The profile's last section: closing the account, confirmed with the password (the same throttle as
    a sign-in). Afterwards this browser is signed out like every other, and told what happened."""
    attempt = _attempt(request, viewer.email, settings)
    try:
        confirmed = parse(CloseAccountIn, {"password": str(data.get("close_password", ""))})
        await service.close_account(viewer, confirmed.password, attempt, clock, settings.login_attempts_per_minute)
    except InvalidInput as error:
        return await _profile_page(viewer, status=422, errors={"close_password": error.errors[0].message})
    except RateLimited as error:
        response = await _profile_page(viewer, status=429, errors={"close_password": error.detail})
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    response = Redirect("/login?closed=1")
    response.set_cookie(_expired_session_cookie(settings))
    return response


# --- language switch -----------------------------------------------------------------------------


def _language_cookie(language: str, settings: NamedDependency[Settings]) -> Cookie:
    return Cookie(
        key="accord_lang", value=language, samesite="lax", secure=settings.secure_cookies, path="/", max_age=365 * 86400
    )


@post("/language")
async def switch_language(request: Request[Any, Any, Any], data: Form, settings: NamedDependency[Settings]) -> Any:
    language = str(data.get("language", ""))
    if language not in ("en", "zh-Hans"):
        raise InvalidInput.one("language", _("Choose one of the offered options."))
    viewer: Viewer | None = request.user
    if viewer is not None:
        await service.update_profile(viewer, ProfileIn(display_name=viewer.display_name, language=language))  # type: ignore[arg-type]
    response = Redirect(safe_next(data.get("next")))
    response.set_cookie(_language_cookie(language, settings))
    return response


# --- administration ------------------------------------------------------------------------------

_admin = {"viewer": Provide(require_role(Role.admin.value))}


@get("/admin", dependencies=_admin)
async def admin_home(viewer: NamedDependency[Viewer]) -> Any:
    """Where a registrar lands after signing in: every desk of theirs, and how many agents wait."""
    return page("admin/home.html", waiting_agents=await service.agents_waiting())


@get("/admin/users", dependencies=_admin)
async def admin_users(
    viewer: NamedDependency[Viewer],
    q: FromQuery[str] = "",
    role: FromQuery[str | None] = None,
    cursor: FromQuery[str | None] = None,
) -> Any:
    rows, next_cursor = await service.search_users(q, role or None, window(cursor, 50))
    return page(
        "admin/users.html", users=rows, q=q, role=role or "", next_cursor=next_cursor, roles=[r.value for r in Role]
    )


@get("/admin/users/{user_id:int}", dependencies=_admin)
async def admin_user(viewer: NamedDependency[Viewer], user_id: FromPath[int], saved: FromQuery[bool] = False) -> Any:
    user = await service.get_user(user_id)
    return page("admin/user.html", user=user, roles=[r.value for r in Role], saved=saved, errors={})


@post("/admin/users/{user_id:int}/role", dependencies=_admin)
async def admin_change_role(
    viewer: NamedDependency[Viewer], user_id: FromPath[int], data: Form, clock: NamedDependency[Clock]
) -> Any:
    try:
        change = parse(RoleChangeIn, nest_form(data))
        await service.change_role(viewer, user_id, Role(change.role), clock)
    except InvalidInput as error:
        user = await service.get_user(user_id)
        return page(
            "admin/user.html", status=422, user=user, roles=[r.value for r in Role], errors=_by_field(error.errors)
        )
    return Redirect(f"/admin/users/{user_id}?saved=1")


@post("/admin/users/{user_id:int}/active", dependencies=_admin)
async def admin_set_active(
    viewer: NamedDependency[Viewer], user_id: FromPath[int], data: Form, clock: NamedDependency[Clock]
) -> Any:
    await service.set_active(viewer, user_id, data.get("active") == "yes", clock)
    return Redirect(f"/admin/users/{user_id}?saved=1")


@get("/admin/enterprises", dependencies=_admin)
async def admin_enterprises(
    viewer: NamedDependency[Viewer], q: FromQuery[str] = "", cursor: FromQuery[str | None] = None
) -> Any:
    rows, next_cursor = await service.search_enterprises(q, window(cursor, 50), include_unverified=True)
    return page("admin/enterprises.html", enterprises=rows, q=q, next_cursor=next_cursor, errors={})


@post("/admin/enterprises/{enterprise_id:int}/verify", dependencies=_admin)
async def admin_verify_enterprise(
    viewer: NamedDependency[Viewer], enterprise_id: FromPath[int], data: Form, clock: NamedDependency[Clock]
) -> Any:
    await service.verify_enterprise(viewer, enterprise_id, data.get("verified") == "yes", clock)
    return Redirect(f"/admin/enterprises?q={data.get('q', '')}")


@post("/admin/enterprises/{enterprise_id:int}/name-zh", dependencies=_admin)
async def admin_enterprise_name_zh(
    viewer: NamedDependency[Viewer], enterprise_id: FromPath[int], data: Form, clock: NamedDependency[Clock]
) -> Any:
    q = str(data.get("q", ""))
    try:
        named = parse(EnterpriseNameZhIn, {"name_zh": str(data.get("name_zh", "")).strip() or None})
    except InvalidInput as error:
        rows, next_cursor = await service.search_enterprises(q, window(None, 50), include_unverified=True)
        if enterprise_id not in [row["id"] for row in rows]:  # the refused row is shown whatever the search
            rows = [await service.get_enterprise(enterprise_id), *rows]
        problems = {enterprise_id: " ".join(e.message for e in error.errors)}
        return page(
            "admin/enterprises.html", status=422, enterprises=rows, q=q, next_cursor=next_cursor, errors=problems
        )
    await service.set_enterprise_name_zh(viewer, enterprise_id, named.name_zh, clock)
    return Redirect(f"/admin/enterprises?q={quote(q)}")


@get("/admin/audit", dependencies=_admin)
async def admin_audit(viewer: NamedDependency[Viewer]) -> Any:
    return page("admin/audit.html", actions=await audit.audit_log())


# --- JSON API ------------------------------------------------------------------------------------


@post("/auth/register", status_code=HTTP_201_CREATED, summary="Register a consumer or merchant agent")
async def api_register(
    data: JSONBody[RegistrationIn], clock: NamedDependency[Clock], settings: NamedDependency[Settings]
) -> UserOut:
    return user_out(await service.register(data, clock, settings.timezone.key))


@post("/auth/token", status_code=HTTP_201_CREATED, summary="Exchange email and password for a bearer token")
async def api_token(
    request: Request[Any, Any, Any],
    data: JSONBody[TokenRequest],
    clock: NamedDependency[Clock],
    settings: NamedDependency[Settings],
) -> Response[TokenOut]:
    attempt = _attempt(request, data.email, settings)
    user = await credentials.authenticate(data.email, data.password, attempt, clock, settings.login_attempts_per_minute)
    token = await credentials.issue_token(user["id"], data.label, clock)
    body = TokenOut(token=token, user=user_out(await service.get_user(user["id"])))
    return Response(body, status_code=HTTP_201_CREATED, cookies=[_device_cookie(user["email"], settings)])


@post(
    "/auth/password/forgot",
    status_code=HTTP_202_ACCEPTED,
    summary="Ask for a link to set a new password (mailed if an active account has the address; same answer)",
)
async def api_forgot(
    request: Request[Any, Any, Any], data: JSONBody[ForgotPasswordIn], clock: NamedDependency[Clock]
) -> ForgotPasswordOut:
    await recovery.request_link(data.email, client_address(request), clock)
    return ForgotPasswordOut(
        detail=_("If an Accord account uses this address, we have sent it a link to set a new password.")
    )


@post(
    "/auth/password/reset",
    status_code=HTTP_204_NO_CONTENT,
    summary="Set a new password with the token of a mailed link (ends every session, revokes every token)",
)
async def api_reset(data: JSONBody[PasswordResetIn], clock: NamedDependency[Clock]) -> None:
    await recovery.reset_password(data.token, data.new_password, clock)


@delete(
    "/auth/token",
    status_code=HTTP_204_NO_CONTENT,
    dependencies={"viewer": Provide(signed_in_viewer)},
    summary="Revoke the bearer token in use",
)
async def api_revoke_token(viewer: NamedDependency[Viewer], clock: NamedDependency[Clock]) -> None:
    if viewer.credential != "token":
        raise NotFound(_("This request was not made with a token."))
    await credentials.revoke_token(viewer, viewer.credential_id, clock)


@post(
    "/me/password",
    status_code=HTTP_204_NO_CONTENT,
    dependencies={"viewer": Provide(signed_in_viewer)},
    summary="Change your password (signs out your other sessions and revokes your other tokens)",
)
async def api_change_password(
    request: Request[Any, Any, Any],
    viewer: NamedDependency[Viewer],
    data: JSONBody[PasswordChangeIn],
    clock: NamedDependency[Clock],
    settings: NamedDependency[Settings],
) -> None:
    attempt = _attempt(request, viewer.email, settings)
    await service.change_password(viewer, data, attempt, clock, settings.login_attempts_per_minute)


@post(
    "/me/close",
    status_code=HTTP_202_ACCEPTED,
    dependencies={"viewer": Provide(signed_in_viewer)},
    summary="Close your account (consumers and merchant agents; confirmed with your password)",
    description="Sign-in, sessions and every API token end at once; your name and e-mail address are replaced "
    "by a pseudonym wherever they are shown. Your cases, messages and files stay (a case record is evidence "
    "the other party and the authorities may need) and every record still verifies. Wrong password: 422 on "
    "`password`, slowed down like a sign-in (429). Mediators and registrars: 403.",
)
async def api_close_account(
    request: Request[Any, Any, Any],
    viewer: NamedDependency[Viewer],
    data: JSONBody[CloseAccountIn],
    clock: NamedDependency[Clock],
    settings: NamedDependency[Settings],
) -> ClosedOut:
    attempt = _attempt(request, viewer.email, settings)
    await service.close_account(viewer, data.password, attempt, clock, settings.login_attempts_per_minute)
    return ClosedOut(detail=_("Your account is closed."))


@get("/me", dependencies={"viewer": Provide(signed_in_viewer)}, summary="The signed-in user")
async def api_me(viewer: NamedDependency[Viewer]) -> UserOut:
    return user_out(await service.get_user(viewer.id))


@get(
    "/enterprises",
    dependencies={"viewer": Provide(optional_viewer)},
    summary="Search enterprises by name or USCC (verified ones; registrars see all)",
)
async def api_enterprises(
    viewer: NamedDependency[Viewer | None],
    q: FromQuery[str] = "",
    kind: FromQuery[EnterpriseKind | None] = None,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> Page[EnterpriseOut]:
    """`kind=platform` lists the marketplaces a complaint may name (filing's platform search)."""
    everyone = service.sees_unverified_enterprises(viewer)
    rows, next_cursor = await service.search_enterprises(
        q, window(cursor, limit), include_unverified=everyone, kind=kind.value if kind else None
    )
    return Page[EnterpriseOut](items=[_enterprise_out(row) for row in rows], next_cursor=next_cursor)


@get("/admin/users", dependencies=_admin, summary="Search users (registrars)")
async def api_admin_users(
    viewer: NamedDependency[Viewer],
    q: FromQuery[str] = "",
    role: FromQuery[str | None] = None,
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> Page[AdminUserOut]:
    rows, next_cursor = await service.search_users(q, role or None, window(cursor, limit))
    return Page[AdminUserOut](items=[admin_user_out(row) for row in rows], next_cursor=next_cursor)


@post("/admin/users/{user_id:int}/role", dependencies=_admin, summary="Change a user's role (registrars)")
async def api_admin_change_role(
    viewer: NamedDependency[Viewer], user_id: FromPath[int], data: JSONBody[RoleChangeIn], clock: NamedDependency[Clock]
) -> AdminUserOut:
    await service.change_role(viewer, user_id, Role(data.role), clock)
    return admin_user_out(await service.get_user(user_id))


@post("/admin/users/{user_id:int}/active", dependencies=_admin, summary="Deactivate or reactivate a user")
async def api_admin_set_active(
    viewer: NamedDependency[Viewer],
    user_id: FromPath[int],
    data: JSONBody[ActiveChangeIn],
    clock: NamedDependency[Clock],
) -> AdminUserOut:
    await service.set_active(viewer, user_id, data.active, clock)
    return admin_user_out(await service.get_user(user_id))


@post("/admin/enterprises/{enterprise_id:int}/verify", dependencies=_admin, summary="Verify an enterprise")
async def api_admin_verify_enterprise(
    viewer: NamedDependency[Viewer],
    enterprise_id: FromPath[int],
    data: JSONBody[VerificationIn],
    clock: NamedDependency[Clock],
) -> EnterpriseOut:
    await service.verify_enterprise(viewer, enterprise_id, data.verified, clock)
    return _enterprise_out(await service.get_enterprise(enterprise_id))


def _enterprise_out(row: dict[str, Any]) -> EnterpriseOut:
    return EnterpriseOut(**{key: row[key] for key in EnterpriseOut.model_fields})


page_routes = [
    login_page,
    login,
    logout_page,
    logout,
    forgot_page,
    forgot,
    reset_page,
    reset,
    register_page,
    register,
    profile_page,
    update_profile,
    change_password,
    create_token,
    revoke_token_form,
    close_account,
    switch_language,
    admin_home,
    admin_users,
    admin_user,
    admin_change_role,
    admin_set_active,
    admin_enterprises,
    admin_verify_enterprise,
    admin_enterprise_name_zh,
    admin_audit,
]
api_router = Router(
    path="/api/v1",
    route_handlers=[
        api_register,
        api_token,
        api_forgot,
        api_reset,
        api_revoke_token,
        api_change_password,
        api_close_account,
        api_me,
        api_enterprises,
        api_admin_users,
        api_admin_change_role,
        api_admin_set_active,
        api_admin_verify_enterprise,
    ],
    tags=["accounts"],
)
