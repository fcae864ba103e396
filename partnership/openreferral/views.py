"""The public directory in the Open Referral UK v3 profile, read-only and open to all.

No sign-in, no API key, and `Access-Control-Allow-Origin: *` on every response, as the
UK profile's compliance rules ask, so that a browser page anywhere can read the feed.
"""

from flask import Blueprint, jsonify, request
from werkzeug.http import HTTP_STATUS_CODES

from partnership.extensions import csrf, db
from partnership.openreferral import publish
from partnership.problems import problem

openreferral = Blueprint("openreferral", __name__, url_prefix="/openreferral")
# Read-only: nothing here changes state, and other methods get a 405 of our own.
csrf.exempt(openreferral)

OTHER_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


def refuse(status: int, detail: str):
    """A problem document titled, as RFC 9457 asks for type about:blank, by the status."""
    return problem(status, HTTP_STATUS_CODES[status], detail)


@openreferral.after_request
def allow_any_origin(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@openreferral.get("/")
def api_info():
    return jsonify(publish.api_info())


@openreferral.get("/services")
def services():
    try:
        query = publish.read_service_query(request.args)
    except publish.BadQuery as error:
        return refuse(400, str(error))
    return jsonify(publish.services_page(query))


@openreferral.get("/services/<service_id>")
def service(service_id):
    found = publish.find_service(service_id)
    if found is None:
        return refuse(404, f"There is no service with the id {service_id!r}")
    return jsonify(publish.service_document(found))


@openreferral.route("/", methods=OTHER_METHODS, defaults={"path": ""})
@openreferral.route("/<path:path>", methods=["GET", *OTHER_METHODS])
def elsewhere(path):
    """Anything else under /openreferral/ answers in JSON too, with the CORS header."""
    if request.method != "GET":
        response = refuse(405, "This API is read-only: use GET")
        response.headers["Allow"] = "GET, HEAD, OPTIONS"
        return response
    return refuse(404, f"There is nothing at /openreferral/{path}")


@openreferral.errorhandler(500)
def server_error(_error):
    db.session.rollback()
    return refuse(500, "Something went wrong; try again later")
