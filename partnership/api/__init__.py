"""The JSON API under /api/v1: bearer tokens, problem+json errors, an OpenAPI 3.1 document."""

from flask import Blueprint

from partnership.api.auth import authenticate
from partnership.extensions import csrf
from partnership.problems import Problem

api = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api)  # bearer tokens, not cookies, authorise these requests


@api.before_request
def require_token():
    from flask import request

    if request.endpoint != "api.openapi_document":
        authenticate()


@api.errorhandler(Problem)
def problem_response(error: Problem):
    return error.response()


from partnership.api import dashboards, openapi, referrals, services  # noqa: E402, F401  (routes)
