"""Fetching from a live Jira (Cloud or Data Center) with the standard library's HTTP client.

Credentials come from environment variables, never the command line: with a user variable
set it is basic auth (email + API token, Jira Cloud), without one a bearer token (a Data
Center personal access token). They are sent to the origin the user named and nowhere else:
a redirect to another scheme, host or port is refused.

Which API: `/rest/api/2/serverInfo` says Cloud or Server/Data Center. Cloud searches with
`/rest/api/3/search/jql` (nextPageToken / isLast; the older /search answers 410 Gone there)
and completes long changelogs from `/rest/api/3/issue/{id}/changelog`; Data Center searches
with `/rest/api/2/search` (startAt / total) and re-reads an issue whose embedded changelog is
short. A 404 or 410 on the chosen search switches to the other once.

Everything is bounded: every request has a timeout; 429 and 5xx answers, truncated bodies and
reset connections are retried a few times (Retry-After honoured up to a cap, and shown); a
repeated page token, a server that ignores startAt, a page without a total, or more pages than
MAX_PAGES stop with one line naming the URL.

Pages are saved as they arrive into a folder beside the warehouse (with the status list and
the board configuration), so a rebuild needs no refetch; the import then reads that folder
like any export.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import math
import os
import shutil
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from warehouse.errors import HeimdallError

PAGE_SIZE = 100
RETRIES = 5
TIMEOUT = 60  # seconds for any one request
MAX_WAIT = 60  # cap on a server's Retry-After, seconds
MAX_PAGES = 20_000  # search pages (2M issues) or changelog pages of one issue

Progress = Callable[[str, int, int], None]


class NotThere(HeimdallError):
    """404 or 410: this site does not offer the resource (or that API generation)."""


def _quiet(label: str, done: int, total: int) -> None:
    """Report nothing."""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def check_url(url: str) -> str:
    """The base URL without a trailing slash; errors never repeat what the user typed, as it
    may hold a secret."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise HeimdallError("--url must be an http:// or https:// address of a Jira site")
    if parts.username is not None or parts.password is not None:
        raise HeimdallError(
            "--url must not contain credentials; put the API token in the environment (see --token-env and --user-env)"
        )
    return url.rstrip("/")


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """Follow redirects within the origin only: the Authorization header must never reach
    another host, port or scheme."""

    def __init__(self, origin: tuple[str, str, int | None]):
        self.origin = origin

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if _origin(newurl) != self.origin:
            where = urllib.parse.urlsplit(newurl)
            raise HeimdallError(
                f"{req.full_url.split('?')[0]}: redirected to {where.scheme}://{where.netloc}; "
                f"credentials are only sent to the --url origin (use that address as --url)"
            )
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and req.unredirected_hdrs.get("Authorization"):
            new.add_unredirected_header("Authorization", req.unredirected_hdrs["Authorization"])
        return new


class Client:
    def __init__(
        self,
        base_url: str,
        token: str,
        user: str | None,
        sleep: Callable[[float], None] | None = None,
        progress: Progress = _quiet,
    ):
        self.base = check_url(base_url)
        secret = f"{user}:{token}" if user else None
        self._auth = f"Basic {base64.b64encode(secret.encode()).decode()}" if secret else f"Bearer {token}"
        self._opener = urllib.request.build_opener(_SameOrigin(_origin(self.base)))
        self.sleep = sleep or time.sleep
        self.progress = progress

    def get(self, path: str, params: dict | None = None) -> dict | list:
        """GET a JSON resource, retrying 429, 5xx, truncated bodies and dropped connections."""
        url = f"{self.base}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
        shown = url.split("?")[0]
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        request.add_unredirected_header("Authorization", self._auth)
        for attempt in range(RETRIES):
            last = attempt == RETRIES - 1
            try:
                with self._opener.open(request, timeout=TIMEOUT) as response:
                    body = response.read()
                return json.loads(body)
            except urllib.error.HTTPError as exc:
                if exc.code in (429, 500, 502, 503, 504) and not last:
                    self._wait(_retry_after(exc, attempt), f"HTTP {exc.code} from {shown}")
                    continue
                raise (NotThere if exc.code in (404, 410) else HeimdallError)(_http_error(shown, exc)) from None
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError) as exc:
                if not last:
                    self._wait(2.0**attempt, f"{_reason(exc)} from {shown}")
                    continue
                raise HeimdallError(f"{shown}: {_reason(exc)} (after {RETRIES} tries)") from None
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise HeimdallError(f"{shown}: the answer is not JSON (is this a Jira URL?)") from None
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(self, seconds: float, why: str) -> None:
        """Sleep in one-second steps, so the progress line counts the wait down."""
        remaining = seconds
        while remaining > 0:
            self.progress(f"{why}: retrying in {math.ceil(remaining)} s", 0, 0)
            step = min(1.0, remaining)
            self.sleep(step)
            remaining -= step


def _retry_after(exc: urllib.error.HTTPError, attempt: int) -> float:
    given = (exc.headers.get("Retry-After") or "").strip()
    seconds = float(given) if given.isdigit() else 2.0**attempt
    return min(seconds, MAX_WAIT)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, http.client.IncompleteRead):
        return "the answer was cut short"
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return f"no answer within {TIMEOUT} s"
    return str(reason) or type(reason).__name__


def _http_error(url: str, exc: urllib.error.HTTPError) -> str:
    detail = ""
    try:
        body = json.loads(exc.read())
        detail = "; ".join(body.get("errorMessages", []) + list((body.get("errors") or {}).values()))
    except (ValueError, AttributeError, OSError, http.client.HTTPException):
        pass
    meaning = {
        401: "not authorised (check the token and user variables)",
        403: "forbidden",
        404: "not found (check --url)",
        410: "gone (this API was removed)",
        400: "rejected",
    }.get(exc.code, f"HTTP {exc.code}")
    return f"{url}: {meaning}" + (f": {detail}" if detail else "")


def credentials(token_env: str, user_env: str) -> tuple[str, str | None]:
    token = os.environ.get(token_env)
    if not token:
        raise HeimdallError(f"set ${token_env} to a Jira API token (or name another variable with --token-env)")
    return token, os.environ.get(user_env) or None


def fetch(client: Client, jql: str, folder: Path, board: int | None = None, progress: Progress = _quiet) -> int:
    """Save every issue matching `jql` (with its whole changelog), the status list and the
    board configuration into `folder`; returns the number of issues. Pages land in a
    `.partial` folder renamed into place at the end: a failure leaves the previous pages."""
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        fetched = _fetch_into(client, jql, partial, board, progress)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return fetched


def is_cloud(client: Client) -> bool:
    """Cloud or Server/Data Center, from serverInfo; a site that will not say is tried as Cloud."""
    try:
        info = client.get("/rest/api/2/serverInfo")
    except NotThere:
        return True
    return not isinstance(info, dict) or str(info.get("deploymentType", "Cloud")).lower() == "cloud"


def _fetch_into(client: Client, jql: str, folder: Path, board: int | None, progress: Progress) -> int:
    cloud = is_cloud(client)
    (folder / "statuses.json").write_text(json.dumps(client.get("/rest/api/2/status")))
    if board is not None:
        config = client.get(f"/rest/agile/1.0/board/{int(board)}/configuration")
        (folder / f"board_{int(board)}_configuration.json").write_text(json.dumps(config))
    ordered = jql if "order by" in jql.lower() else f"{jql} ORDER BY created ASC"  # stable paging
    pages = _search(client, ordered, cloud)
    try:
        first = next(pages)
    except NotThere:  # serverInfo said one thing, the search API another: try the other once
        cloud = not cloud
        pages = _search(client, ordered, cloud)
        first = next(pages)
    return _save(client, itertools.chain([first], pages), folder, cloud, progress)


def _search(client: Client, jql: str, cloud: bool):
    return (_cloud_pages if cloud else _server_pages)(client, jql)


def _save(client: Client, pages, folder: Path, cloud: bool, progress: Progress) -> int:
    fetched = 0
    for number, (issues, total) in enumerate(pages, start=1):
        for issue in issues:
            _complete_changelog(client, issue, cloud)
        (folder / f"page-{number:05d}.json").write_text(json.dumps({"issues": issues}))
        fetched += len(issues)
        progress(f"fetched {fetched:,} issues" + (f" of {total:,}" if total else ""), fetched, total or 0)
    return fetched


def _cloud_pages(client: Client, jql: str):
    """/rest/api/3/search/jql pages: (issues, None) until isLast."""
    path = "/rest/api/3/search/jql"
    params = {"jql": jql, "expand": "changelog", "fields": "*all", "maxResults": PAGE_SIZE}
    seen: set[str] = set()
    token = None
    for _ in range(MAX_PAGES):
        page, issues = _search_page(client, path, {**params, **({"nextPageToken": token} if token else {})})
        yield issues, None
        token = page.get("nextPageToken")
        if page.get("isLast") or not token:
            if not page.get("isLast", True) and issues:
                raise HeimdallError(f"{client.base}{path}: a page that is not the last has no nextPageToken")
            return
        if token in seen:
            raise HeimdallError(f"{client.base}{path}: the server repeated a page token; stopped")
        seen.add(token)
    raise HeimdallError(f"{client.base}{path}: more than {MAX_PAGES:,} pages; narrow the JQL")


def _server_pages(client: Client, jql: str):
    """/rest/api/2/search pages: (issues, total) by startAt until total."""
    path = "/rest/api/2/search"
    params = {"jql": jql, "expand": "changelog", "fields": "*all", "maxResults": PAGE_SIZE}
    start = 0
    for _ in range(MAX_PAGES):
        page, issues = _search_page(client, path, {**params, "startAt": start})
        total = page.get("total")
        if not isinstance(total, int):
            raise HeimdallError(f"{client.base}{path}: the answer has no total, so it cannot be paged safely")
        if page.get("startAt", start) != start:
            raise HeimdallError(f"{client.base}{path}: the server ignored startAt={start}; stopped")
        yield issues, total
        start += len(issues)
        if not issues or start >= total:
            return
    raise HeimdallError(f"{client.base}{path}: more than {MAX_PAGES:,} pages; narrow the JQL")


def _search_page(client: Client, path: str, params: dict) -> tuple[dict, list]:
    """One search page and its issues; anything else is an error naming the URL."""
    page = client.get(path, params)
    if not isinstance(page, dict) or not isinstance(page.get("issues"), list):
        raise HeimdallError(f"{client.base}{path}: not a Jira search result")
    return page, page["issues"]


def _complete_changelog(client: Client, issue: dict, cloud: bool) -> None:
    """A search page embeds a capped changelog: fetch the rest."""
    changelog = issue.get("changelog") or {}
    histories = changelog.get("histories", [])
    total = changelog.get("total", len(histories))
    if not isinstance(total, int) or total <= len(histories):
        return
    if not cloud:  # Data Center: the issue itself carries its whole changelog
        whole = client.get(f"/rest/api/2/issue/{issue['id']}", {"expand": "changelog", "fields": "status"})
        issue["changelog"] = whole.get("changelog", changelog) if isinstance(whole, dict) else changelog
        return
    path = f"/rest/api/3/issue/{issue['id']}/changelog"
    histories, start = [], 0
    for _ in range(MAX_PAGES):
        part = client.get(path, {"startAt": start, "maxResults": PAGE_SIZE})
        if not isinstance(part, dict):
            break
        values = part.get("values", [])
        histories.extend(values)
        start += len(values)
        if not values or part.get("isLast") or start >= part.get("total", total):
            break
    else:
        raise HeimdallError(f"{client.base}{path}: more than {MAX_PAGES:,} pages; stopped")
    # the server's total stays: if it gave fewer histories, the import flags the issue
    issue["changelog"] = {"startAt": 0, "maxResults": len(histories), "total": total, "histories": histories}
