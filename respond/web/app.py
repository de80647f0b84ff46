"""The web inbox as an ASGI app (Starlette): routes, sign-in, CSRF, security headers.

Every page is plain HTML; every change is a POST form carrying a CSRF token, handled by
respond.actions, then a redirect back (post/redirect/get), so the app needs no JavaScript and
the Content-Security-Policy can forbid all scripts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlencode, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alerts.escape import safe_url, truncate, visible
from alerts.report.data import client_report_slug, report_slug
from alerts.views import Catalog
from alerts.when import local_time
from respond import actions
from respond.config import RespondConfig
from respond.web import api, auth, charts, csrf, details, listing

log = logging.getLogger(__name__)
T = TypeVar("T")
HERE = Path(__file__).parent
SESSION_COOKIE = "mw_session"
FLASH_COOKIE = "mw_flash"

# No script at all, no inline style, no framing; forms post only here.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
# The weekly reports are our own HTML with an inline style sheet: no script may run in them
# (default-src 'none', and a sandbox without allow-scripts); allow-same-origin only lets their
# charts load with the session cookie.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; sandbox allow-same-origin"
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}
STORE_TRIES = 3  # an action that met a locked store or a just-taken key is done again, reading the first's result
REPORT_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.(html|png)")
# A report file named for a business or a client (report-DATE-SLUG): what a client's user may open.
REPORT_DATED = re.compile(r"report-\d{4}-\d{2}-\d{2}-(.+)")


@dataclass(frozen=True)
class WebOptions:
    """How people are recognised."""

    trusted_header: str | None = None
    """A reverse proxy signs people in and names them in this header."""
    local_user: str | None = None
    """Bound to 127.0.0.1 with no users: everyone who can reach the port acts as this name."""
    secure_cookies: bool = False
    public_url: str | None = None
    """Where people open the inbox through the proxy (`web.url`): in trusted-header mode, the one
    host besides this machine's names that requests may be addressed to."""
    fetch_now: Callable[[Path, str, str], tuple[bool, str]] | None = None
    """Fetches one source (config path, business, source identity) -> (healthy, what it printed);
    given by `mentionwatch serve` (mentionwatch.background), which composes the crawler."""


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response that has not set its own."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def make_templates() -> Environment:
    env = Environment(loader=PackageLoader("respond.web", "templates"), autoescape=select_autoescape(default=True),
                      finalize=shown)
    env.filters.update(safe_url=lambda url: safe_url(url) or "", age=age, when=when, score=score,
                       stars=stars, cut=truncate)
    env.globals.update(urlencode=urlencode)
    return env


def shown(value: Any) -> Any:
    """Every value a page prints, as Slack and the terminal show web text: without bidi controls,
    zero-width and other invisible characters (alerts.escape.visible); escaped afterwards."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def age(value: datetime | None) -> str:
    """'5 min', '3 h', '2 d' ago."""
    if value is None:
        return ""
    seconds = (datetime.now(timezone.utc) - value).total_seconds()
    if seconds < 3600:
        return f"{max(0, int(seconds // 60))} min"
    if seconds < 172800:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def when(value: datetime | None, zone: str = "UTC") -> str:
    """'2026-12-04 00:00 CST': the date and time in `zone`, with its abbreviation (one clock everywhere)."""
    return local_time(value, zone) if value is not None else ""


def score(value: float | None) -> str:
    return f"{value:+.2f}" if value is not None else ""


def stars(value: float | None) -> str:
    return f"{value:g}★" if value is not None else ""


def build_web_app(settings: RespondConfig, engine: Engine, options: WebOptions, extra_routes: list[Any] | None = None
                  ) -> Starlette:
    """The ASGI app for `settings`, reading and writing through `engine`."""
    templates = make_templates()
    catalog = Catalog(settings)
    templates.globals["source_label"] = catalog.source_label
    # Times read in the business's zone; a page about no one business (reports) uses the zone all
    # businesses share, else UTC.
    zones = {b.timezone for b in settings.businesses}
    shared_zone = zones.pop() if len(zones) == 1 else "UTC"
    templates.filters["when"] = lambda value, business=None: when(
        value, catalog.zone(business) if business else shared_zone)
    limiter = auth.LoginLimiter()
    report_dir = settings.resolve(settings.report.out_dir)

    async def db(work: Callable[[Session], T]) -> T:
        """Run `work` with a session in a worker thread (the database calls block)."""
        def run() -> T:
            with Session(engine, expire_on_commit=False) as session:
                return work(session)
        return await run_in_threadpool(run)

    def secure(request: Request) -> bool:
        return options.secure_cookies or request.url.scheme == "https"

    def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                            secure=secure(request))

    async def who(request: Request) -> str | None:
        """The signed-in person's name, or None."""
        if options.trusted_header:
            return (request.headers.get(options.trusted_header) or "").strip()[:200] or None
        token = request.cookies.get(SESSION_COOKIE)

        # Without users, only requests addressed to this machine by name are its user's: a web
        # page elsewhere whose domain is made to resolve to 127.0.0.1 (DNS rebinding) sends its
        # own name as Host, and gets the sign-in page.
        local = options.local_user if (request.url.hostname or "") in LOOPBACK_NAMES else None

        def look(session: Session) -> str | None:
            name = auth.session_user(session, token)
            if name is None and local and not auth.has_users(session):
                return local
            return name
        return await db(look)

    async def visible_to(user: str) -> listing.Visible:
        """The businesses `user` may see: an agency client's user only its client's, others all."""
        client = await db(lambda s: auth.user_client(s, user))
        return settings.visible_businesses(client)

    def report_visible(name: str, only: listing.Visible) -> bool:
        """A report file a client's user may open: its client's report, its businesses' own."""
        if only is None:
            return True
        dated = REPORT_DATED.fullmatch(name.rsplit(".", 1)[0])
        client = next((b.client for b in settings.businesses if b.name in only), None)
        slugs = {report_slug(b) for b in only} | ({client_report_slug(client)} if client else set())
        return dated is not None and dated.group(1) in slugs

    def csrf_expected(request: Request, user: str | None) -> str | None:
        session_token = request.cookies.get(SESSION_COOKIE) if user and not options.trusted_header else None
        return csrf.expected_token(session_token, request.cookies.get(csrf.CSRF_COOKIE))

    def render(request: Request, user: str | None, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        cookie = request.cookies.get(csrf.CSRF_COOKIE) or csrf.new_cookie_value()
        request.cookies.setdefault(csrf.CSRF_COOKIE, cookie)
        flash = unquote(request.cookies.get(FLASH_COOKIE, ""))[:500]
        html = templates.get_template(name).render(
            request=request, user=user, csrf_token=csrf_expected(request, user), flash=flash,
            path=request.url.path, can_sign_out=bool(user) and not options.trusted_header
            and SESSION_COOKIE in request.cookies, **context)
        response = HTMLResponse(html, status_code=status)
        set_cookie(response, request, csrf.CSRF_COOKIE, cookie)
        if flash:
            response.delete_cookie(FLASH_COOKIE, path="/")
        return response

    def back(request: Request, target: str, message: str | None = None) -> RedirectResponse:
        response = RedirectResponse(target, status_code=303)
        if message:
            set_cookie(response, request, FLASH_COOKIE, quote(message[:500]), max_age=60)
        return response

    def local_path(value: Any, default: str) -> str:
        """A redirect target on this site only: a path, never another host."""
        value = str(value or "")
        return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else default

    async def signed_in(request: Request) -> str | Response:
        user = await who(request)
        if user:
            return user
        if options.trusted_header:
            return HTMLResponse(f"The proxy did not name a user in {options.trusted_header}.", status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)

    async def checked_form(request: Request, user: str | None) -> Any:
        """The POSTed form, or None when it lacks this session's CSRF token or came from another site."""
        form = await request.form()
        host = request.headers.get("host")
        # A reverse proxy on this machine may rewrite Host; it names the original in X-Forwarded-Host.
        if request.client and request.client.host in LOOPBACK_NAMES and "x-forwarded-host" in request.headers:
            host = request.headers["x-forwarded-host"].split(",")[0].strip()
        public = urlsplit(options.public_url).netloc if options.public_url else None
        if not (csrf.same_origin(request.headers.get("origin"), host)
                or (public and csrf.same_origin(request.headers.get("origin"), public))):
            return None
        if not csrf.token_ok(csrf_expected(request, user), str(form.get(csrf.FIELD) or "")):
            return None
        return form

    def refused(request: Request, user: str | None) -> HTMLResponse:
        return render(request, user, "error.html", status=403, title="Refused",
                      message="This form did not carry this session's security token (it may be from an old "
                              "page or from another site). Reload the page and try again.")

    # ------------------------------------------------------------------ sign in

    async def login(request: Request) -> Response:
        next_page = local_path(request.query_params.get("next"), "/")
        if options.trusted_header:
            return RedirectResponse(next_page, status_code=303)
        if request.method == "GET":
            return render(request, None, "login.html", next=next_page, error=None)
        form = await checked_form(request, None)
        if form is None:
            return refused(request, None)
        name, password = str(form.get("name") or "")[:200], str(form.get("password") or "")[:1000]
        next_page = local_path(form.get("next"), "/")
        # The connection's own address: uvicorn believes forwarded headers only in trusted-header
        # mode (no sign-in form there), so a client cannot choose the address it is counted by.
        client = request.client.host if request.client else "unknown"
        keys = limiter.keys(name, client)
        wait = limiter.attempt(*keys)  # counted before the password is checked: bursts cannot race it
        if wait:
            return render(request, None, "login.html", status=429, next=next_page,
                          error=f"Too many failed sign-ins. Try again in {auth.describe_wait(wait)}.")

        def attempt(session: Session) -> str | None:
            user = auth.check_password(session, name, password)
            if user is None:
                return None
            token = auth.start_session(session, user)
            session.commit()
            return token
        token = await db(attempt)
        if token is None:
            return render(request, None, "login.html", status=401, next=next_page,
                          error="That name and password do not match.")
        limiter.succeeded(*keys)
        response = RedirectResponse(next_page, status_code=303)
        set_cookie(response, request, SESSION_COOKIE, token, max_age=auth.SESSION_DAYS * 86400)
        return response

    async def logout(request: Request) -> Response:
        user = await who(request)
        if await checked_form(request, user) is None:
            return refused(request, user)
        token = request.cookies.get(SESSION_COOKIE)

        def end(session: Session) -> None:
            auth.end_session(session, token)
            session.commit()
        await db(end)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ------------------------------------------------------------------ pages

    async def inbox(request: Request) -> Response:
        user = await signed_in(request)
        if isinstance(user, Response):
            return user
        before = request.query_params.get("before", "")
        try:
            only = await visible_to(user)
            page = await db(lambda s: listing.inbox_page(s, before, only))
        except listing.FilterError as exc:
            return render(request, user, "error.html", status=400, title="Inbox", message=str(exc))
        return render(request, user, "inbox.html", page=page, here=request.url.path + "?" + request.url.query)

    async def mentions(request: Request) -> Response:
        user = await signed_in(request)
        if isinstance(user, Response):
            return user
        filters = listing.Filters.from_query(request.query_params)
        error = None
        only = await visible_to(user)

        def read(session: Session) -> tuple[listing.Page, dict[str, list[str]]]:
            return listing.mentions_page(session, filters, only=only), listing.choices(session, only)
        try:
            page, choices = await db(read)
        except listing.FilterError as exc:
            error, page = str(exc), listing.Page([], None)
            choices = await db(lambda s: listing.choices(s, only))
        return render(request, user, "mentions.html", status=400 if error else 200, page=page, filters=filters,
                      choices=choices, error=error, labels=listing.LABELS,
                      here=request.url.path + "?" + request.url.query)

    async def token_user(request: Request) -> str | None:
        """The user whose API token the request carries (Authorization: Bearer ...), or None."""
        token = api.bearer_token(request.headers.get("authorization"))
        return await db(lambda s: auth.api_user(s, token)) if token else None

    async def mentions_csv(request: Request) -> Response:
        # A signed-in browser, or a script with an API token.
        user = await token_user(request) if "authorization" in request.headers else await signed_in(request)
        if user is None:
            return JSONResponse({"error": "missing or wrong API token"}, status_code=401,
                                headers={"www-authenticate": "Bearer"})
        if isinstance(user, Response):
            return user
        filters = listing.Filters.from_query(request.query_params)
        only = await visible_to(user)
        try:
            chunks = await run_in_threadpool(api.csv_export, engine, filters, only)
        except listing.FilterError as exc:
            return render(request, user, "error.html", status=400, title="Export", message=str(exc))
        return StreamingResponse(chunks, media_type="text/csv; charset=utf-8",
                                 headers={"content-disposition": 'attachment; filename="mentions.csv"'})

    async def api_mentions(request: Request) -> Response:
        user = await token_user(request)
        if user is None:
            return JSONResponse({"error": "missing or wrong API token: send Authorization: Bearer TOKEN "
                                          "(`mentionwatch user token NAME` makes one)"},
                                status_code=401, headers={"www-authenticate": "Bearer"})
        filters = listing.Filters.from_query(request.query_params)
        only = await visible_to(user)
        try:
            found = await db(lambda s: api.api_page(s, filters, request.query_params.get("limit"), request.url.path,
                                                    only))
        except listing.FilterError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(found, headers={"cache-control": "no-store"})

    async def mention(request: Request) -> Response:
        user = await signed_in(request)
        if isinstance(user, Response):
            return user
        mention_id = request.path_params["mention_id"]
        only = await visible_to(user)

        def read(session: Session) -> tuple[details.MentionDetail, actions.Draft]:
            # The reply form starts from the business's templates, where one fits.
            return (details.mention_detail(session, settings, mention_id, only),
                    actions.draft_reply(session, settings, mention_id))
        try:
            detail, draft = await db(read)
        except actions.NoSuchMention as exc:
            return render(request, user, "error.html", status=404, title="No such mention", message=str(exc))
        return render(request, user, "mention.html", d=detail, m=detail.mention, here=request.url.path, draft=draft)

    async def act(request: Request) -> Response:
        user = await signed_in(request)
        if isinstance(user, Response):
            return user
        form = await checked_form(request, user)
        if form is None:
            return refused(request, user)
        mention_id, action = request.path_params["mention_id"], request.path_params["action"]
        if action not in ACTIONS and action not in ("assign", "snooze", "reply"):
            return render(request, user, "error.html", status=404, title="No such action",
                          message=f"There is no action called {action!r}.")
        target = local_path(form.get("next"), f"/mentions/{mention_id}")
        only = await visible_to(user)

        def do(session: Session) -> str:
            details.visible_mention(session, mention_id, only)  # another client's mention: 404
            if action == "assign":
                outcome = actions.assign(session, mention_id, str(form.get("assignee") or ""), by=user, via="web")
            elif action == "snooze":
                try:
                    days = float(str(form.get("days") or "1"))
                except ValueError:
                    raise actions.ActionError("snooze: give a number of days") from None
                outcome = actions.snooze(session, mention_id, by=user, via="web", days=days)
            elif action == "reply":
                text = str(form.get("text") or "").strip()
                if not text:
                    raise actions.ActionError("write the reply first")
                outcome = actions.reply(session, settings, mention_id, text, by=user, via="web",
                                        replace=form.get("replace") == "yes")
            else:
                outcome = ACTIONS[action](session, mention_id, by=user, via="web")
            session.commit()
            _refresh_alert(session, settings, mention_id)
            return outcome.summary if outcome.changed else f"Nothing changed: {outcome.summary}"
        for attempt in range(1, STORE_TRIES + 1):
            try:
                message = await db(do)
            except actions.NoSuchMention as exc:
                return render(request, user, "error.html", status=404, title="No such mention", message=str(exc))
            except actions.ActionError as exc:
                message = f"Not done: {exc}"
            except (OperationalError, IntegrityError) as exc:
                # Another request held the store or took the same key a moment before: the action is
                # idempotent, so doing it again reads the first's result.
                log.info("web: mention %s %s: %s (try %s)", mention_id, action, type(exc).__name__, attempt)
                if attempt < STORE_TRIES:
                    continue
                return render(request, user, "error.html", status=503, title="Busy",
                              message="The store is busy: nothing was changed. Try again in a moment.")
            break
        return back(request, target, f"#{mention_id}: {message}")

    async def trends(request: Request) -> Response:
        user = await signed_in(request)
        if isinstance(user, Response):
            return user
        days = 30 if request.query_params.get("days") not in ("7", "30", "90", "365") else int(request.query_params["days"])
        only = await visible_to(user)
        found = await db(lambda s: details.trends(s, settings, days, only))
        return render(request, user, "trends.html", trends=found, days=days, charts=charts)

    async def sources(request: Request) -> Response:
        user = await signed_in(request)
        if isinstance(user, Response):
            return user
        only = await visible_to(user)
        found = await db(lambda s: details.sources(s, settings, only))
        return render(request, user, "sources.html", sources=found, fetched=None)

    async def fetch_source(request: Request) -> Response:
        user = await signed_in(request)
        if isinstance(user, Response):
            return user
        if await checked_form(request, user) is None:
            return refused(request, user)
        source_id = request.path_params["source_id"]
        only = await visible_to(user)
        key = await db(lambda s: details.source_key(s, source_id))
        if key is None or (only is not None and key[0] not in only):
            return render(request, user, "error.html", status=404, title="No such source",
                          message=f"There is no source with id {source_id}.")
        if settings.path is None:
            healthy, output = False, "no such source"
        elif options.fetch_now is None:
            healthy, output = False, "fetching is not available in this server"
        else:
            healthy, output = await run_in_threadpool(options.fetch_now, settings.path, *key)
        found = await db(lambda s: details.sources(s, settings, only))
        return render(request, user, "sources.html", sources=found,
                      fetched={"id": source_id, "ok": healthy, "output": output})

    async def reports(request: Request) -> Response:
        user = await signed_in(request)
        if isinstance(user, Response):
            return user
        only = await visible_to(user)
        files = sorted((p for p in report_dir.glob("*.html") if p.is_file() and REPORT_FILE.fullmatch(p.name)
                        and report_visible(p.name, only)),
                       key=lambda p: p.stat().st_mtime, reverse=True) if report_dir.is_dir() else []
        listed = [{"name": p.name, "written": datetime.fromtimestamp(p.stat().st_mtime, timezone.utc),
                   "size": p.stat().st_size} for p in files]
        return render(request, user, "reports.html", reports=listed, folder=str(report_dir))

    async def report_file(request: Request) -> Response:
        user = await signed_in(request)
        if isinstance(user, Response):
            return user
        name = request.path_params["name"]
        path = report_dir / name
        # Only plain file names of the report folder itself: no paths, no dot files, no links out.
        only = await visible_to(user)
        if (not REPORT_FILE.fullmatch(name) or not report_visible(name, only) or not path.is_file()
                or path.resolve().parent != report_dir.resolve()):
            return render(request, user, "error.html", status=404, title="No such report",
                          message="There is no report of that name.")
        return FileResponse(path, headers={"content-security-policy": REPORT_CSP})

    routes = [
        Route("/", inbox),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/mentions", mentions),
        Route("/mentions.csv", mentions_csv),
        Route("/api/mentions", api_mentions),
        Route("/mentions/{mention_id:int}", mention),
        Route("/mentions/{mention_id:int}/{action:str}", act, methods=["POST"]),
        Route("/trends", trends),
        Route("/sources", sources),
        Route("/sources/{source_id:int}/fetch", fetch_source, methods=["POST"]),
        Route("/reports", reports),
        Route("/reports/{name:str}", report_file),
        Mount("/static", StaticFiles(packages=[("respond.web", "static")]), name="static"),
        *(extra_routes or []),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return HTMLResponse("Not found", status_code=404)

    app = Starlette(routes=routes, exception_handlers={404: not_found})
    if options.trusted_header:
        # The proxy's header names the user, so only requests the proxy sent may carry it: a page
        # whose domain is made to resolve to 127.0.0.1 (DNS rebinding) sends its own Host, and a
        # script of that page may set any header. Host is the one the browser writes itself.
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(options.public_url),
                           www_redirect=False)
    app.add_middleware(SecurityHeaders)
    return app


def allowed_hosts(public_url: str | None) -> list[str]:
    """The Host names a trusted-header inbox answers: this machine's, and the public one's."""
    names = ["127.0.0.1", "localhost", "::1", "[::1]"]
    public = urlsplit(public_url).hostname if public_url else None
    return names + ([public] if public else [])


ACTIONS: dict[str, Callable[..., actions.Outcome]] = {
    "handle": actions.handle, "reopen": actions.reopen, "dismiss": actions.dismiss, "restore": actions.restore,
}


def _refresh_alert(session: Session, settings: RespondConfig, mention_id: int) -> None:
    """Re-render the mention's Slack alert now, when Slack is configured and the alerts room can."""
    try:
        from alerts.status import refresh_due_alerts  # type: ignore[import-not-found]
    except ImportError:  # the next run re-renders it
        return
    from alerts.slack import make_clients

    clients = make_clients(settings)  # the top-level workspace's, and each agency client's own
    if not clients:
        return
    try:
        refresh_due_alerts(session, clients, settings, mention_ids=[mention_id])
    except Exception as exc:  # the flag stays set; the next run or click retries
        log.warning("could not update the Slack alert of mention %s: %s", mention_id, type(exc).__name__)
