"""`ingest jira --url`: real sockets to local servers standing in for Jira Cloud (v3
search/jql, 410 on the removed v2 search) and Jira Data Center (v2 with startAt/total), with
redirects, rate limits, truncated bodies and runaway pagination."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import duckdb
import pytest

import warehouse.sources.jira.fetch as jf
from tests.test_jira import STATUSES, history, issue, status

ISSUES = [
    issue(
        201,
        "LIVE-1",
        "2025-10-01T00:00:00.000+0000",
        "Done",
        history(1, "2025-10-02T00:00:00.000+0000", status("To Do", "In Progress")),
        history(2, "2025-10-04T00:00:00.000+0000", status("In Progress", "Done")),
        category="done",
    ),
    issue(
        202,
        "LIVE-2",
        "2025-10-01T00:00:00.000+0000",
        "In Progress",
        history(3, "2025-10-03T00:00:00.000+0000", status("To Do", "In Progress")),
    ),
    issue(203, "LIVE-3", "2025-10-01T00:00:00.000+0000", "Done", category="done"),
]
# LIVE-3's page embeds one of its three histories; the rest come from the changelog resource
LONG = [
    history(4, "2025-10-02T00:00:00.000+0000", status("To Do", "In Progress")),
    history(5, "2025-10-03T00:00:00.000+0000", status("In Progress", "Done")),
    history(6, "2025-10-05T00:00:00.000+0000", status("Done", "Done")),
]
ISSUES[2]["changelog"] = {"startAt": 0, "maxResults": 1, "total": 3, "histories": LONG[-1:]}
AUTH = "Basic " + base64.b64encode(b"me@x.io:secret").decode()


class Jira(BaseHTTPRequestHandler):
    """Cloud or Data Center, as `kind` says; `trouble` names one misbehaviour to show."""

    kind = "cloud"
    trouble = ""
    requests: list = []
    throttled = False
    truncated = False
    elsewhere = ""  # another server's address, for redirects

    def log_message(self, *args):
        pass

    def reply(self, code, body, headers=(), cut=False):
        data = json.dumps(body).encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if cut else data)

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        Jira.requests.append((url.path, q, self.headers.get("Authorization")))
        if url.path == "/moved":
            return self.reply(200, {"stolen": True})
        if self.headers["Authorization"] != AUTH:
            return self.reply(401, {"errorMessages": ["Client must be authenticated"]})
        if url.path == "/rest/api/2/serverInfo":
            if Jira.trouble == "redirect":
                self.send_response(302)
                self.send_header("Location", f"{Jira.elsewhere}/moved")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if Jira.trouble == "no-server-info":
                return self.reply(404, {})
            return self.reply(200, {"deploymentType": "Cloud" if Jira.kind == "cloud" else "Server"})
        if url.path == "/rest/api/2/status":
            return self.reply(200, STATUSES)
        if url.path == "/rest/agile/1.0/board/7/configuration":
            return self.reply(
                200, {"id": 7, "columnConfig": {"columns": [{"name": "To Do", "statuses": [{"id": "1"}]}]}}
            )
        search = {"cloud": "/rest/api/3/search/jql", "server": "/rest/api/2/search"}[Jira.kind]
        if url.path in ("/rest/api/2/search", "/rest/api/3/search/jql") and url.path != search:
            return self.reply(410 if Jira.kind == "cloud" else 404, {"errorMessages": ["gone"]})
        if url.path == search:
            if "bad" in q["jql"]:
                return self.reply(400, {"errorMessages": ["Error in the JQL Query: 'bad' is not a field"]})
            if not Jira.throttled:  # the first search is rate limited, with a long Retry-After
                Jira.throttled = True
                return self.reply(429, {}, [("Retry-After", "3600")])
            if not Jira.truncated:  # the next answer is cut short
                Jira.truncated = True
                return self.reply(200, {"issues": ISSUES}, cut=True)
            return self.search_page(q)
        if url.path == "/rest/api/3/issue/203/changelog" and Jira.kind == "cloud":
            start = int(q["startAt"])
            return self.reply(
                200, {"startAt": start, "total": 3, "values": LONG[start : start + 2], "isLast": start + 2 >= 3}
            )
        if url.path == "/rest/api/2/issue/203" and Jira.kind == "server":
            return self.reply(200, {**ISSUES[2], "changelog": {"startAt": 0, "total": 3, "histories": LONG}})
        return self.reply(404, {"errorMessages": ["not found"]})

    def search_page(self, q):
        if Jira.kind == "cloud":
            if Jira.trouble == "repeat-token":
                return self.reply(200, {"issues": ISSUES[:1], "nextPageToken": "same", "isLast": False})
            first = "nextPageToken" not in q
            return self.reply(
                200,
                {
                    "issues": ISSUES[:2] if first else ISSUES[2:],
                    "isLast": not first,
                    **({"nextPageToken": "p2"} if first else {}),
                },
            )
        start = int(q["startAt"])
        if Jira.trouble == "ignore-start":
            return self.reply(200, {"startAt": 0, "maxResults": 2, "total": 3, "issues": ISSUES[:2]})
        if Jira.trouble == "no-total":
            return self.reply(200, {"startAt": start, "maxResults": 2, "issues": ISSUES[start : start + 2]})
        return self.reply(200, {"startAt": start, "maxResults": 2, "total": 3, "issues": ISSUES[start : start + 2]})


def serve():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Jira)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def jira(monkeypatch):
    Jira.kind, Jira.trouble, Jira.requests, Jira.throttled, Jira.truncated = "cloud", "", [], False, False
    server, url = serve()
    monkeypatch.setenv("JIRA_API_TOKEN", "secret")
    monkeypatch.setenv("JIRA_USER", "me@x.io")
    waits = []
    monkeypatch.setattr(jf.time, "sleep", waits.append)  # the client's default sleep
    yield url, waits
    server.shutdown()


def searches():
    return [q for path, q, _ in Jira.requests if "search" in path and path.endswith(("jql", "search"))]


@pytest.mark.parametrize("kind, trouble", [("cloud", ""), ("server", ""), ("server", "no-server-info")])
def test_fetch_from_cloud_and_data_center(run, jira, tmp_path, kind, trouble):
    url, waits = jira
    Jira.kind, Jira.trouble = kind, trouble
    db = tmp_path / "w.duckdb"
    result = run("ingest", "jira", "--url", url + "/", "--jql", "project = LIVE", "--board", "7", "--db", db)
    assert result.code == 0, result
    assert "fetched 3 issues" in result.err
    used = {path for path, _, _ in Jira.requests if "search" in path}
    expected = {"cloud": {"/rest/api/3/search/jql"}, "server": {"/rest/api/2/search"}}[kind]
    if trouble:  # a site that does not say what it is is tried as Cloud, then as Data Center on a 404
        expected = expected | {"/rest/api/3/search/jql"}
    assert used == expected
    pages = [q for q in searches() if "jql" in q]
    assert pages[0]["jql"] == "project = LIVE ORDER BY created ASC"
    assert pages[0]["fields"] == "*all" and pages[0]["expand"] == "changelog"
    # a 429 asking for an hour waited the capped 60 s (in one-second steps); the cut-short body was retried
    assert sum(waits) == jf.MAX_WAIT + 2.0
    con = duckdb.connect(str(db), read_only=True)
    got = dict(con.execute("SELECT issue_key, cycle_time_hours FROM fct_issue_lifecycle").fetchall())
    assert got == {"LIVE-1": 48.0, "LIVE-2": None, "LIVE-3": 24.0}  # LIVE-3's whole changelog was fetched
    assert con.execute("SELECT count(*) FROM fct_issue_lifecycle WHERE data_quality IS NOT NULL").fetchone() == (0,)
    con.close()
    pages = sorted(p.name for p in (tmp_path / "w.jira-pages").iterdir())
    assert pages == ["board_7_configuration.json", "page-00001.json", "page-00002.json", "statuses.json"]
    assert run("ingest", tmp_path / "w.jira-pages", "--db", db, "--force").code == 0  # a rebuild needs no refetch


def test_a_redirect_elsewhere_never_carries_the_credentials(run, jira, tmp_path):
    url, _ = jira
    other, other_url = serve()
    try:
        Jira.trouble, Jira.elsewhere = "redirect", other_url
        result = run("ingest", "jira", "--url", url, "--jql", "x", "--db", tmp_path / "w.duckdb")
    finally:
        other.shutdown()
    assert result.code == 2 and "redirected to" in result.err and "only sent to the --url origin" in result.err
    assert [auth for path, _, auth in Jira.requests if path == "/moved"] == []  # never even asked
    assert "secret" not in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(
    "kind, trouble, fragment",
    [
        ("cloud", "repeat-token", "repeated a page token"),
        ("server", "ignore-start", "ignored startAt=2"),
        ("server", "no-total", "has no total"),
    ],
)
def test_runaway_pagination_stops_with_one_line(run, jira, tmp_path, kind, trouble, fragment):
    url, _ = jira
    Jira.kind, Jira.trouble = kind, trouble
    result = run("ingest", "jira", "--url", url, "--jql", "project = LIVE", "--db", tmp_path / "w.duckdb")
    assert result.code == 2 and fragment in result.err, result
    assert len(result.err.strip().splitlines()) == 1
    assert len(searches()) < 10
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_page_limit_stops_the_fetch(run, jira, tmp_path, monkeypatch):
    url, _ = jira
    monkeypatch.setattr(jf, "MAX_PAGES", 1)
    result = run("ingest", "jira", "--url", url, "--jql", "project = LIVE", "--db", tmp_path / "w.duckdb")
    assert result.code == 2 and "more than 1 pages; narrow the JQL" in result.err, result


@pytest.mark.parametrize(
    "args, env, fragment",
    [
        (["--jql", "bad = 1"], {}, "rejected: Error in the JQL Query: 'bad' is not a field"),
        (["--jql", "project = LIVE"], {"JIRA_API_TOKEN": "wrong"}, "not authorised"),
        (["--jql", "project = LIVE"], {"JIRA_API_TOKEN": ""}, "set $JIRA_API_TOKEN"),
    ],
)
def test_errors_are_one_line_and_write_nothing(run, jira, tmp_path, monkeypatch, args, env, fragment):
    url, _ = jira
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    db = tmp_path / "w.duckdb"
    result = run("ingest", "jira", "--url", url, *args, "--db", db)
    assert result.code == 2 and fragment in result.err, result
    assert len(result.err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "given, fragment",
    [
        ("https://me%40x.io:hunter2@jira.example.com", "must not contain credentials"),
        ("ftp://jira.example.com", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("jira.example.com", "http:// or https://"),
    ],
)
def test_only_plain_http_urls_without_credentials(run, tmp_path, monkeypatch, given, fragment):
    monkeypatch.setenv("JIRA_API_TOKEN", "secret")
    result = run("ingest", "jira", "--url", given, "--jql", "x", "--db", tmp_path / "w.duckdb")
    assert result.code == 2 and fragment in result.err, result
    assert "hunter2" not in result.err


def test_an_unreachable_server_is_one_line(run, tmp_path, monkeypatch):
    monkeypatch.setattr(jf, "RETRIES", 1)
    monkeypatch.setenv("JIRA_API_TOKEN", "secret")
    result = run("ingest", "jira", "--url", "http://127.0.0.1:9", "--jql", "x", "--db", tmp_path / "w.duckdb")
    assert result.code == 2 and "127.0.0.1:9" in result.err and "Traceback" not in result.err
