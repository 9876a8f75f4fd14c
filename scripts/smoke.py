"""Production smoke crawler: real HTTP against a running server with production settings.

    python scripts/smoke.py crawl http://127.0.0.1:8123 [--max-pages 400] [--budget 90]
    python scripts/smoke.py restored http://127.0.0.1:8124 --expect "KOS Złotokłos"
    python scripts/smoke.py server-error http://127.0.0.1:8125 --log web-no-database.log
    python scripts/smoke.py logs --web web.log --worker worker.log --beat beat.log

`crawl` follows every same-site link reachable from / (GET only), first anonymously, then
signed in through the real allauth form as each demo user (every staff role with the demo
TOTP code). It fails on any 5xx and checks what production must
send: security headers, cookie flags, the request id, far-future caching of hashed static
files, and the project's 404 page. `restored` signs in to a server running on a restored
backup and looks for a page's content; `server-error` checks the 500 page of a server whose
database is missing. scripts/smoke starts and stops the servers; see docs/deployment.md.

Requests go over plain HTTP to 127.0.0.1 with `X-Forwarded-Proto: https`, as a TLS proxy
would send them. The stdlib cookie jar never returns Secure cookies over http://, so this
keeps its own.
"""

import argparse
import html.parser
import http.client
import os
import re
import sys
import threading
import time
import urllib.parse
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

# Links a crawler must not follow: they end the session or act on a one-time key.
SKIP = re.compile(
    r"/logout/?$"  # allauth's and the admin's sign-out
    r"|^/accounts/confirm-email/"  # confirms an address on GET
    r"|^/accounts/password/reset/key/"  # one-time reset keys
    r"|^/i18n/"  # language switch (POST only, but never a page)
)
HASHED_STATIC = re.compile(r"^/static/.+\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
FAR_FUTURE_SECONDS = 365 * 24 * 3600
SECURITY_HEADERS = {
    "Strict-Transport-Security": re.compile(r"max-age=\d{7,}"),
    "X-Content-Type-Options": re.compile(r"^nosniff$"),
    "Referrer-Policy": re.compile(r"."),
    "Content-Security-Policy": re.compile(r"default-src 'self'"),
    "X-Frame-Options": re.compile(r"^DENY$"),
}
# What Django's technical (DEBUG) pages and tracebacks contain; never on a production page.
LEAKS = ("Traceback", "Using the URLconf", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", 'id="summary"')
# Query-string variants crawled per path: filters and pages multiply without end.
VARIANTS_PER_PATH = 3
# Pages crawled per URL shape (ids replaced by N): the 40th gmina's dashboard runs the same
# code as the first five, and the budget is better spent on other pages.
PAGES_PER_SHAPE = 5
# The admin has some forty models, each with list, add, change, history and delete pages
# and filter links: one object per model, no history or delete pages, no query variants.
ADMIN_SKIP = re.compile(r"^/admin/.*(/history/|/delete/|\?)")


@dataclass
class Response:
    method: str
    path: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def head(self) -> str:
        lines = [f"{self.method} {self.path} -> {self.status}"]
        lines += [f"  {key}: {value}" for key, value in self.headers]
        lines.append("  " + self.body[:600].decode("utf-8", "replace").replace("\n", "\n  "))
        return "\n".join(lines)


class Browser:
    """One signed-in (or anonymous) visitor: keep-alive connection and its own cookies."""

    def __init__(self, base: str, role: str):
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.netloc = parsed.netloc
        self.role = role
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []  # every Set-Cookie header, for the flags check
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, **headers) -> Response:
        headers = {
            "Host": self.netloc,
            "X-Forwarded-Proto": "https",
            "User-Agent": f"kos-smoke ({self.role})",
            "Accept-Language": "pl",
            **headers,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):  # a keep-alive connection the server closed: reconnect once
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                raw = self.conn.getresponse()
                response = Response(method, path, raw.status, raw.getheaders(), raw.read())
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        for key, value in response.headers:
            if key.lower() == "set-cookie":
                self.set_cookies.append(value)
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if "max-age=0" in value.lower() or cookie_value in ('""', ""):
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = cookie_value
        return response

    def local_path(self, location: str, current: str) -> str | None:
        """The same-site path of a link or redirect, or None for another site."""
        url = urllib.parse.urljoin(f"https://{self.netloc}{current}", location.strip())
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != self.netloc:
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def get(self, path: str, limit: int = 10) -> tuple[Response, list[Response]]:
        """GET following redirects; returns the final response and every hop."""
        hops = []
        for _ in range(limit):
            response = self.request("GET", path)
            hops.append(response)
            location = response.header("Location")
            if response.status not in (301, 302, 303, 307, 308) or not location:
                break
            if location.startswith("http://"):
                raise SmokeFailure(f"[{self.role}] redirected to plain HTTP:\n{response.head()}")
            path = self.local_path(location, path)
            if path is None:
                break
        return hops[-1], hops

    def post_form(self, path: str, page: Response, fields: dict[str, str]) -> Response:
        """POST a form from `page` with its CSRF token, as a browser on https would."""
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        if token is None:
            raise SmokeFailure(f"[{self.role}] no CSRF token on {page.path}")
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), **fields})
        origin = f"https://{self.netloc}"
        return self.request(
            "POST",
            path,
            body=body.encode(),
            **{
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": origin + page.path,
            },
        )


class SmokeFailure(Exception):
    pass


class Links(html.parser.HTMLParser):
    """Pages (a href, hx-get) and assets (link href, script src, img src) of an HTML page."""

    def __init__(self):
        super().__init__()
        self.pages: list[str] = []
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.pages.append(attrs["href"])
        if attrs.get("hx-get"):
            self.pages.append(attrs["hx-get"])
        if tag == "link" and attrs.get("href"):
            self.assets.append(attrs["href"])
        if tag in ("script", "img") and attrs.get("src"):
            self.assets.append(attrs["src"])


@dataclass
class Crawl:
    role: str
    pages: int = 0
    statuses: Counter = field(default_factory=Counter)
    sections: Counter = field(default_factory=Counter)  # pages per first path segment
    assets: set = field(default_factory=set)
    errors: list = field(default_factory=list)
    truncated: str = ""
    seconds: float = 0.0


def check_response(crawl: Crawl, response: Response) -> None:
    if response.status >= 500:
        crawl.errors.append(f"5xx [{crawl.role}]\n{response.head()}")
    if not response.header("X-Request-ID"):
        crawl.errors.append(f"no X-Request-ID [{crawl.role}] {response.path}")
    if (response.header("Content-Type") or "").startswith("text/html"):
        for name, pattern in SECURITY_HEADERS.items():
            if not pattern.search(response.header(name) or ""):
                crawl.errors.append(f"header {name} missing or weak [{crawl.role}] {response.path}")
        text = response.body.decode("utf-8", "replace")
        for leak in LEAKS:
            if leak in text:
                crawl.errors.append(f"page shows {leak!r} [{crawl.role}] {response.path}")


def crawl_site(browser: Browser, crawl: Crawl, *, max_pages: int, deadline: float) -> None:
    """Breadth-first over every same-site link from /, GET only."""
    queue, seen, variants, shapes = deque(["/"]), {"/"}, Counter(), Counter()
    while queue:
        if crawl.pages >= max_pages:
            crawl.truncated = f"stopped at {max_pages} pages, {len(queue)} left"
            return
        if time.monotonic() > deadline:
            crawl.truncated = f"time budget spent, {len(queue)} left"
            return
        path = queue.popleft()
        try:
            response, hops = browser.get(path)
        except SmokeFailure as failure:
            crawl.errors.append(str(failure))
            continue
        crawl.pages += 1
        crawl.sections["/" + path.lstrip("/").split("/")[0].split("?")[0]] += 1
        for hop in hops:
            crawl.statuses[hop.status] += 1
            check_response(crawl, hop)
        if not (response.header("Content-Type") or "").startswith("text/html"):
            continue
        parser = Links()
        parser.feed(response.body.decode("utf-8", "replace"))
        for asset in parser.assets:
            local = browser.local_path(asset, response.path)
            if local and local.startswith("/static/"):
                crawl.assets.add(local.split("?")[0])
        for link in parser.pages:
            if link.startswith("#"):
                continue
            local = browser.local_path(link.split("#")[0], response.path)
            if not local or local in seen or SKIP.search(local.split("?")[0]):
                continue
            if ADMIN_SKIP.search(local):
                continue
            if local.startswith(("/static/", "/media/")):
                continue
            base = local.split("?")[0]
            shape = re.sub(r"\d+", "N", base)
            if shapes[shape] >= (1 if base.startswith("/admin/") else PAGES_PER_SHAPE):
                continue
            if "?" in local:
                if variants[base] >= VARIANTS_PER_PATH:
                    continue
                variants[base] += 1
            shapes[shape] += 1
            seen.add(local)
            queue.append(local)


def sign_in(browser: Browser, email: str, password: str, totp_secret: str | None) -> list[str]:
    """Sign in through allauth's real forms; returns problems found (empty: signed in)."""
    form, _ = browser.get("/accounts/login/")
    response = browser.post_form("/accounts/login/", form, {"login": email, "password": password})
    if response.status != 302:
        return [f"login form answered {response.status} for {email}\n{response.head()}"]
    location = browser.local_path(response.header("Location"), "/accounts/login/")
    if totp_secret:
        if not location.startswith("/accounts/2fa/authenticate/"):
            return [f"{email} was not asked for a TOTP code (sent to {location})"]
        page, _ = browser.get(location)
        code = totp_code(totp_secret)
        response = browser.post_form(page.path, page, {"code": code})
        if response.status != 302:
            return [f"TOTP form answered {response.status} for {email}\n{response.head()}"]
    home, _ = browser.get("/")
    if b'action="/accounts/logout/"' not in home.body:
        return [f"{email}: the home page after sign-in shows no sign-out form\n{home.head()}"]
    return []


def totp_code(secret: str) -> str:
    """The demo TOTP code now, waiting out the last seconds of a period (no tolerance)."""
    from kos_portal.demo import demo_totp_code

    period = 30
    if period - time.time() % period < 3:
        time.sleep(period - time.time() % period + 0.2)
    return demo_totp_code()


def check_cookies(browser: Browser, names: tuple[str, ...]) -> list[str]:
    """The session and CSRF cookies (named by the settings: `__Host-` in production)."""
    from django.conf import settings

    problems = []
    for name in names:
        headers = [c for c in browser.set_cookies if c.split("=", 1)[0].strip() == name]
        if not headers:
            problems.append(f"[{browser.role}] no {name} cookie was set")
        for header in headers:
            flags = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
            session = name == settings.SESSION_COOKIE_NAME
            wanted = {"secure", "samesite"} | ({"httponly"} if session else set())
            if missing := wanted - flags:
                problems.append(f"[{browser.role}] {name} cookie lacks {sorted(missing)}: {header}")
    return problems


def check_static(browser: Browser, assets: set[str]) -> list[str]:
    hashed = sorted(path for path in assets if HASHED_STATIC.match(path))
    if not hashed:
        return [f"no hashed static file among the pages' assets: {sorted(assets)[:5]}"]
    problems = []
    for path in hashed:
        response = browser.request("GET", path)
        cache = response.header("Cache-Control") or ""
        max_age = re.search(r"max-age=(\d+)", cache)
        if response.status != 200 or not max_age or int(max_age.group(1)) < FAR_FUTURE_SECONDS:
            problems.append(f"static {path}: {response.status}, Cache-Control {cache!r}")
    print(f"  static: {len(hashed)} hashed files, all with far-future Cache-Control")
    return problems


def check_404(browser: Browser) -> list[str]:
    response = browser.request("GET", "/smoke-no-such-page/")
    text = response.body.decode("utf-8", "replace")
    problems = []
    if response.status != 404:
        problems.append(f"missing page answered {response.status}")
    if 'class="error-code"' not in text or "404" not in text:
        problems.append(f"404 is not the project's page:\n{response.head()}")
    problems += [f"404 page shows {leak!r}" for leak in LEAKS if leak in text]
    return problems


def command_crawl(args) -> int:
    import django

    django.setup()
    from django.conf import settings

    from kos_portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_USERS
    from kos_portal.roles import PRIVILEGED_ROLES

    deadline = time.monotonic() + args.budget
    problems: list[str] = []
    anonymous = Browser(args.base, "anonymous")
    problems += check_404(anonymous)
    privileged = PRIVILEGED_ROLES  # every staff role signs in with the demo TOTP
    visitors = [("anonymous", None)] + [(str(d.role), d) for d in DEMO_USERS]
    results: dict[str, Crawl] = {}
    lock = threading.Lock()

    def visit(role: str, demo) -> None:
        started = time.monotonic()
        browser = anonymous if demo is None else Browser(args.base, role)
        crawl = Crawl(role)
        if demo is not None:
            secret = DEMO_TOTP_SECRET if demo.role in privileged else None
            crawl.errors += sign_in(browser, demo.email, DEMO_PASSWORD, secret)
            crawl.errors += check_cookies(
                browser, (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
            )
        if not crawl.errors:
            crawl_site(browser, crawl, max_pages=args.max_pages, deadline=deadline)
        crawl.seconds = time.monotonic() - started
        with lock:
            results[role] = crawl

    # Two visitors at a time: gunicorn runs two workers.
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(visit, role, demo) for role, demo in visitors]:
            future.result()

    assets: set[str] = set()
    for role, _ in visitors:
        crawl = results[role]
        assets |= crawl.assets
        statuses = " ".join(f"{code}:{n}" for code, n in sorted(crawl.statuses.items()))
        note = f" ({crawl.truncated})" if crawl.truncated else ""
        print(f"  {role:<12} {crawl.pages:4} pages in {crawl.seconds:5.1f}s  {statuses}{note}")
        if crawl.truncated:
            sections = ", ".join(f"{k} {n}" for k, n in crawl.sections.most_common())
            print(f"{'':15}{sections}")
        problems += crawl.errors
    problems += check_static(anonymous, assets)
    return report(problems)


def command_restored(args) -> int:
    """Sign in on the restored copy and look for `expect` on the home page and below."""
    import django

    django.setup()
    from kos_portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_USERS
    from kos_portal.roles import Role

    leader = next(d for d in DEMO_USERS if d.role == Role.LEADER)
    browser = Browser(args.base, "leader (restored)")
    # The crawl used this period's code moments ago, and allauth refuses a code twice (it
    # remembers used codes in the shared cache): wait for the next period's code.
    time.sleep(30 - time.time() % 30 + 0.5)
    problems = sign_in(browser, leader.email, DEMO_PASSWORD, DEMO_TOTP_SECRET)
    page, _ = browser.get("/")
    if args.expect.encode() not in page.body:
        problems.append(f"{args.expect!r} not on the restored home page:\n{page.head()}")
    else:
        print(f"  restored copy serves {args.expect!r} to the signed-in leader")
    # A certificate PDF lives in MEDIA_ROOT: downloading one proves the media came back too.
    listing, _ = browser.get("/certificates/")
    pdf = re.search(rb'href="(/certificates/\d+/pdf/)"', listing.body)
    if pdf is None:
        problems.append(f"no certificate PDF link for the leader:\n{listing.head()}")
    else:
        download, _ = browser.get(pdf.group(1).decode())
        if download.status != 200 or not download.body.startswith(b"%PDF"):
            problems.append(f"restored certificate PDF:\n{download.head()}")
        else:
            print(f"  restored copy serves {pdf.group(1).decode()} from the restored media")
    return report(problems)


def command_server_error(args) -> int:
    """The 500 page of a server whose database is gone: the id, and nothing of the error."""
    import django

    django.setup()
    from django.conf import settings

    browser = Browser(args.base, "anonymous")
    browser.cookies[settings.SESSION_COOKIE_NAME] = "smoke-session-needs-the-database"
    response = browser.request("GET", "/", **{"X-Request-ID": "smoke-500-check-0001"})
    text = response.body.decode("utf-8", "replace")
    problems = []
    if response.status != 500:
        problems.append(f"expected 500 without a database:\n{response.head()}")
    if "smoke-500-check-0001" not in text:
        problems.append(f"the 500 page does not show the request id:\n{response.head()}")
    leaks = (*LEAKS, "OperationalError", "psycopg2")
    problems += [f"the 500 page shows {leak!r}" for leak in leaks if leak in text]
    if not problems:
        print("  500 page: request id shown, no traceback or settings")
        problems += command_server_error_log(args.log, "smoke-500-check-0001")
    return report(problems)


def command_server_error_log(path: str, request_id: str) -> list[str]:
    """The failure is in the JSON log, under the id the page showed, with its traceback."""
    for _ in range(50):  # the worker may write the line just after answering
        for line in json_lines(path)[0]:
            if (
                line.get("request_id") == request_id
                and line["level"] == "ERROR"
                and "OperationalError" in (line.get("exception") or "")
            ):
                print("  500 logged: one JSON line with the request id and the traceback")
                return []
        time.sleep(0.1)
    return [f"no ERROR line with request id {request_id} and the traceback in {path}"]


def json_lines(path: str) -> tuple[list[dict], list[str]]:
    """The JSON lines of a log file, and the lines that are not JSON."""
    import json

    parsed, other = [], []
    with open(path, encoding="utf-8") as log:
        for line in log:
            if not line.strip():
                continue
            try:
                parsed.append(json.loads(line))
            except ValueError:
                other.append(line.rstrip())
    return parsed, other


def command_logs(args) -> int:
    """Every web log line is JSON with ids; the worker ran tasks and logged their ids."""
    problems = []
    web, other = json_lines(args.web)
    problems += [f"web log line is not JSON: {line[:200]}" for line in other[:5]]
    access = [line for line in web if line["logger"] == "kos.request"]
    if not access or not all(line["request_id"] for line in access):
        problems.append(f"web access lines without request ids: {access[:2]}")
    deadline = time.monotonic() + 30
    while True:  # the demo's certificates are rendered by the worker; wait for them
        worker, _ = json_lines(args.worker)
        tasks = {line["task_id"] for line in worker if line.get("task_id")}
        if tasks or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if not tasks:
        problems.append("the worker logged no line with a task id (did it run any task?)")
    beat, _ = json_lines(args.beat)
    if not any(line["logger"] == "celery.beat" for line in beat):
        problems.append("beat wrote no JSON log line")
    for name, lines in (("web", web), ("worker", worker), ("beat", beat)):
        for line in lines:
            if line["level"] in ("ERROR", "CRITICAL"):
                problems.append(f"{name} logged an error: {line}")
    if not problems:
        print(
            f"  logs: {len(web)} web lines, all JSON ({len(access)} requests with ids);"
            f" worker ran {len(tasks)} task(s), each line with its task id; beat up"
        )
    return report(problems)


def report(problems: list[str]) -> int:
    for problem in dict.fromkeys(problems):  # once each, in order
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    crawl = commands.add_parser("crawl")
    crawl.add_argument("base")
    crawl.add_argument("--max-pages", type=int, default=400, help="per visitor")
    crawl.add_argument("--budget", type=float, default=100, help="seconds for the whole crawl")
    restored = commands.add_parser("restored")
    restored.add_argument("base")
    restored.add_argument("--expect", required=True)
    server_error = commands.add_parser("server-error")
    server_error.add_argument("base")
    server_error.add_argument("--log", required=True, help="that server's log file")
    logs = commands.add_parser("logs")
    for name in ("web", "worker", "beat"):
        logs.add_argument(f"--{name}", required=True, help=f"the {name} log file")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kos_portal.settings")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    commands = {
        "crawl": command_crawl,
        "restored": command_restored,
        "server-error": command_server_error,
        "logs": command_logs,
    }
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
