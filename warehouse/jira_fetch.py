"""Fetching from a live Jira with the standard library's HTTP client.

Credentials come from environment variables, never the command line: with a user variable
set it is basic auth (email + API token, Jira Cloud), without one a bearer token (a Data
Center personal access token). Pages are saved as they arrive into a folder beside the
warehouse, so a rebuild needs no refetch; the import then reads that folder like any export.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable

from warehouse.errors import HeimdallError

PAGE_SIZE = 100
RETRIES = 5


class Client:
    def __init__(self, base_url: str, token: str, user: str | None, sleep: Callable[[float], None] = time.sleep):
        self.base = base_url.rstrip("/")
        secret = f"{user}:{token}" if user else None
        self.auth = (f"Basic {base64.b64encode(secret.encode()).decode()}" if secret else f"Bearer {token}")
        self.sleep = sleep

    def get(self, path: str, params: dict | None = None) -> dict | list:
        """GET a JSON resource, retrying 429 and 5xx with backoff (Retry-After when given)."""
        url = f"{self.base}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
        request = urllib.request.Request(url, headers={"Authorization": self.auth, "Accept": "application/json"})
        for attempt in range(RETRIES):
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as exc:
                if exc.code in (429, 500, 502, 503, 504) and attempt < RETRIES - 1:
                    retry_after = exc.headers.get("Retry-After")
                    self.sleep(float(retry_after) if retry_after and retry_after.isdigit() else 2 ** attempt)
                    continue
                raise HeimdallError(_http_error(url, exc)) from None
            except (urllib.error.URLError, TimeoutError) as exc:
                if attempt < RETRIES - 1:
                    self.sleep(2 ** attempt)
                    continue
                raise HeimdallError(f"{url}: {getattr(exc, 'reason', exc)}") from None
            except json.JSONDecodeError:
                raise HeimdallError(f"{url}: the answer is not JSON (is this a Jira URL?)") from None
        raise HeimdallError(f"{url}: no answer after {RETRIES} tries")


def _http_error(url: str, exc: urllib.error.HTTPError) -> str:
    detail = ""
    try:
        body = json.loads(exc.read())
        detail = "; ".join(body.get("errorMessages", []) + list((body.get("errors") or {}).values()))
    except (ValueError, AttributeError):
        pass
    meaning = {401: "not authorised (check the token and user variables)", 403: "forbidden",
               404: "not found (check --url)", 400: "rejected"}.get(exc.code, f"HTTP {exc.code}")
    return f"{url.split('?')[0]}: {meaning}" + (f": {detail}" if detail else "")


def credentials(token_env: str, user_env: str) -> tuple[str, str | None]:
    token = os.environ.get(token_env)
    if not token:
        raise HeimdallError(f"set ${token_env} to a Jira API token (or name another variable with --token-env)")
    return token, os.environ.get(user_env) or None


def fetch(client: Client, jql: str, folder: Path, progress=lambda label, done, total: None) -> int:
    """Save every issue matching `jql` (with its whole changelog) and the status list into
    `folder` as search pages; returns the number of issues. Pages land in a `.partial`
    folder renamed into place at the end: a failure leaves the previous pages as they were."""
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        fetched = _fetch_into(client, jql, partial, progress)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return fetched


def _fetch_into(client: Client, jql: str, folder: Path, progress) -> int:
    (folder / "statuses.json").write_text(json.dumps(client.get("/rest/api/2/status")))
    ordered = jql if "order by" in jql.lower() else f"{jql} ORDER BY created ASC"  # stable paging
    params = {"jql": ordered, "expand": "changelog", "fields": "*all", "maxResults": PAGE_SIZE}
    fetched, number, cursor = 0, 0, {"startAt": 0}
    while True:
        page = client.get("/rest/api/2/search", {**params, **cursor})
        if not isinstance(page, dict) or not isinstance(page.get("issues"), list):
            raise HeimdallError(f"{client.base}/rest/api/2/search: not a Jira search result")
        issues = page["issues"]
        for issue in issues:
            _complete_changelog(client, issue)
        number += 1
        (folder / f"page-{number:05d}.json").write_text(json.dumps({"issues": issues}))
        fetched += len(issues)
        total = page.get("total")
        progress(f"fetched {fetched:,} issues" + (f" of {total:,}" if total else ""), fetched, total or 0)
        if page.get("nextPageToken"):  # /search/jql paging
            cursor = {"nextPageToken": page["nextPageToken"]}
        elif page.get("isLast") or not issues or (total is not None and fetched >= total):
            return fetched
        elif "startAt" in cursor:  # startAt/maxResults/total paging
            cursor = {"startAt": fetched}
        else:
            raise HeimdallError(f"{client.base}/rest/api/2/search: a page that is not the last has no nextPageToken")


def _complete_changelog(client: Client, issue: dict) -> None:
    """A search page embeds at most `maxResults` histories: fetch the rest."""
    changelog = issue.get("changelog") or {}
    histories = changelog.get("histories", [])
    total = changelog.get("total", len(histories))
    if total <= len(histories):
        return
    histories, start = [], 0
    while start < total:
        part = client.get(f"/rest/api/2/issue/{issue['id']}/changelog", {"startAt": start, "maxResults": PAGE_SIZE})
        values = part.get("values", [])
        if not values:
            break
        histories.extend(values)
        start += len(values)
    issue["changelog"] = {"startAt": 0, "maxResults": len(histories), "total": len(histories), "histories": histories}
