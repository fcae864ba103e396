"""Errors for machines: `application/problem+json` (RFC 9457), the one way the API says no."""

from flask import Response, json


class Problem(Exception):
    """Raise anywhere behind the API; the error handler turns it into a problem response."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra,
    ):
        super().__init__(title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra
        self.headers = headers or {}

    def response(self) -> Response:
        response = problem(self.status, self.title, self.detail, **self.extra)
        response.headers.update(self.headers)
        return response


def problem(status: int, title: str, detail: str | None = None, **extra) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")
