"""Logs without personal data.

Resident searches put a name, NHS number or postcode in the query string, and the pages
after them carry it on in `next=`; so no request line is logged with its query string, by
gunicorn (`access_log_format` in gunicorn.conf.py) or by the development server (the
filter below). Tracebacks never print SQL parameters in production (`hide_parameters`).
"""

import logging
import re

from flask import Flask

# A query string inside a logged request line: from "?" up to the next space or quote.
_QUERY = re.compile(r"\?[^\s\"]*")

# gunicorn's access log: method, path (never the query string), status, size and time;
# no Referer, which carries the previous page's query string.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def without_query(text: str) -> str:
    return _QUERY.sub("", text)


class WithoutQueryStrings(logging.Filter):
    """Takes query strings out of the development server's request lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                without_query(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = without_query(record.msg)
        return True


def init_app(app: Flask) -> None:
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, WithoutQueryStrings) for f in werkzeug.filters):
        werkzeug.addFilter(WithoutQueryStrings())
