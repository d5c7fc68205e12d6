"""`ingest jira --url`: a real socket to a local server replaying recorded Jira pages."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import duckdb
import pytest

from tests.test_jira import STATUSES, history, issue, status

ISSUES = [
    issue(201, "LIVE-1", "2025-10-01T00:00:00.000+0000", "Done",
          history(1, "2025-10-02T00:00:00.000+0000", status("To Do", "In Progress")),
          history(2, "2025-10-04T00:00:00.000+0000", status("In Progress", "Done")), category="done"),
    issue(202, "LIVE-2", "2025-10-01T00:00:00.000+0000", "In Progress",
          history(3, "2025-10-03T00:00:00.000+0000", status("To Do", "In Progress"))),
    issue(203, "LIVE-3", "2025-10-01T00:00:00.000+0000", "Done", category="done"),
]
# LIVE-3's page embeds one of its three histories; the rest come from /changelog
LONG = [history(4, "2025-10-02T00:00:00.000+0000", status("To Do", "In Progress")),
        history(5, "2025-10-03T00:00:00.000+0000", status("In Progress", "Done")),
        history(6, "2025-10-05T00:00:00.000+0000", status("Done", "Done"))]
ISSUES[2]["changelog"] = {"startAt": 0, "maxResults": 1, "total": 3, "histories": LONG[-1:]}


class Jira(BaseHTTPRequestHandler):
    mode = "startAt"
    throttled = False
    requests: list = []

    def log_message(self, *args):
        pass

    def reply(self, code, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        Jira.requests.append((url.path, q))
        if self.headers["Authorization"] != "Basic " + base64.b64encode(b"me@x.io:secret").decode():
            return self.reply(401, {"errorMessages": ["Client must be authenticated"]})
        if url.path == "/rest/api/2/status":
            return self.reply(200, STATUSES)
        if url.path == "/rest/api/2/search":
            if "bad" in q["jql"]:
                return self.reply(400, {"errorMessages": ["Error in the JQL Query: 'bad' is not a field"]})
            if not Jira.throttled:  # the first search is rate limited
                Jira.throttled = True
                return self.reply(429, {}, [("Retry-After", "0")])
            if Jira.mode == "startAt":
                start = int(q["startAt"])
                return self.reply(200, {"startAt": start, "maxResults": 2, "total": 3, "issues": ISSUES[start:start + 2]})
            first = "nextPageToken" not in q
            return self.reply(200, {"issues": ISSUES[:2] if first else ISSUES[2:], "isLast": not first,
                                    **({"nextPageToken": "p2"} if first else {})})
        if url.path == "/rest/api/2/issue/203/changelog":
            start = int(q["startAt"])
            return self.reply(200, {"startAt": start, "total": 3, "values": LONG[start:start + 2],
                                    "isLast": start + 2 >= 3})
        return self.reply(404, {"errorMessages": ["not found"]})


@pytest.fixture
def jira(monkeypatch):
    Jira.throttled, Jira.requests, Jira.mode = False, [], "startAt"
    server = ThreadingHTTPServer(("127.0.0.1", 0), Jira)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("JIRA_API_TOKEN", "secret")
    monkeypatch.setenv("JIRA_USER", "me@x.io")
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("mode", ["startAt", "nextPageToken"])
def test_fetch_pages_retries_and_completes_changelogs(run, jira, tmp_path, mode):
    Jira.mode = mode
    db = tmp_path / "w.duckdb"
    result = run("ingest", "jira", "--url", jira, "--jql", "project = LIVE", "--db", db)
    assert result.code == 0, result
    assert "fetched 3 issues" in result.err
    searches = [q for path, q in Jira.requests if path == "/rest/api/2/search"]
    assert len(searches) == 3  # the throttled one, then two pages
    assert searches[0]["jql"] == "project = LIVE ORDER BY created ASC"
    con = duckdb.connect(str(db), read_only=True)
    got = dict(con.execute("SELECT issue_key, cycle_time_hours FROM fct_issue_lifecycle").fetchall())
    assert got == {"LIVE-1": 48.0, "LIVE-2": None, "LIVE-3": 24.0}  # LIVE-3's full changelog was fetched
    pages = sorted(p.name for p in (tmp_path / "w.jira-pages").iterdir())
    assert pages == ["page-00001.json", "page-00002.json", "statuses.json"]
    con.close()
    assert run("ingest", tmp_path / "w.jira-pages", "--db", db, "--force").code == 0  # a rebuild needs no refetch


@pytest.mark.parametrize("args, env, fragment", [
    (["--jql", "bad = 1"], {}, "rejected: Error in the JQL Query: 'bad' is not a field"),
    (["--jql", "project = LIVE"], {"JIRA_API_TOKEN": "wrong"}, "not authorised"),
    (["--jql", "project = LIVE"], {"JIRA_API_TOKEN": ""}, "set $JIRA_API_TOKEN"),
])
def test_errors_are_one_line_and_write_nothing(run, jira, tmp_path, monkeypatch, args, env, fragment):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    db = tmp_path / "w.duckdb"
    result = run("ingest", "jira", "--url", jira, *args, "--db", db)
    assert result.code == 2 and fragment in result.err, result
    assert len(result.err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_unreachable_server_is_one_line(run, tmp_path, monkeypatch):
    import warehouse.jira_fetch as jf

    monkeypatch.setattr(jf, "RETRIES", 1)
    monkeypatch.setenv("JIRA_API_TOKEN", "secret")
    result = run("ingest", "jira", "--url", "http://127.0.0.1:9", "--jql", "x", "--db", tmp_path / "w.duckdb")
    assert result.code == 2 and "127.0.0.1:9" in result.err and "Traceback" not in result.err
