"""The development server's request lines carry no query string: search terms stay out."""

import logging
import threading
import urllib.request

from werkzeug.serving import make_server

from partnership.logs import without_query


def test_query_strings_are_taken_out_of_request_lines():
    line = '"GET /referrals/new/resident?q=Ann+Smith HTTP/1.1" 302 -'
    assert without_query(line) == '"GET /referrals/new/resident HTTP/1.1" 302 -'


def test_the_development_server_logs_paths_without_query_strings(app, caplog, monkeypatch):
    # Alembic's logging set-up, run by the test databases' migrations, disables loggers
    # that already exist; `make run` has no such step.
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", False)
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.port}/referrals/new/resident?q=Ann+Smith+M9+4DH"
        with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 (our own server)
            assert answer.status == 200  # the sign-in page, after a redirect with next=
    finally:
        server.shutdown()
        thread.join(timeout=10)
    request_lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("GET /referrals/new/resident HTTP" in line for line in request_lines), request_lines
    assert any("GET /sign-in HTTP" in line for line in request_lines)
    for line in request_lines:
        assert "Smith" not in line
        assert "M9" not in line
