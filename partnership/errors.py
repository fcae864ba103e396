"""Error pages in the service's own style, and problem+json for the machine interfaces."""

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from partnership.inputs import HostileInput
from partnership.problems import problem

RETRY_AFTER_SECONDS = 5


def _for_machines() -> bool:
    return request.path.startswith(("/api/", "/openreferral/"))


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def form_expired(_error):
        return render_template("errors/400.html"), 400

    @app.errorhandler(HostileInput)
    def hostile_input(error):
        if _for_machines():
            return problem(400, "Bad request", error.description)
        return render_template("errors/refused.html", message=error.description), 400

    @app.errorhandler(413)
    def too_large(_error):
        limit = f"{current_app.config['MAX_CONTENT_LENGTH'] // 1024:,} KB"
        message = f"The request was larger than {limit}. Nothing was saved."
        if _for_machines():
            return problem(413, "Request too large", message)
        return render_template("errors/refused.html", message=message), 413

    @app.errorhandler(414)
    def address_too_long(error):
        if _for_machines():
            return problem(414, "Address too long", error.description)
        return render_template("errors/refused.html", message=error.description), 414

    @app.errorhandler(404)
    def not_found(_error):
        if _for_machines():
            return problem(404, "Not found", "There is nothing at this address for you.")
        return render_template("errors/404.html"), 404

    @app.errorhandler(405)
    def method_not_allowed(_error):
        if _for_machines():
            return problem(405, "Method not allowed")
        # People only ever reach these addresses through forms: say nothing more than 404.
        return render_template("errors/404.html"), 404

    @app.errorhandler(429)
    def too_many_requests(_error):
        if _for_machines():
            return problem(429, "Too many requests", "Wait a minute, then try again.")
        return render_template("errors/429.html"), 429

    @app.errorhandler(OperationalError)
    def database_unavailable(_error):
        """The database is not answering (restarting, say): a 503 to try again shortly,
        never a 500. The page is drawn as for someone signed out: knowing who is signed in
        would need the database."""
        from partnership.extensions import db, login_manager

        db.session.rollback()
        g._login_user = login_manager.anonymous_user()
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if _for_machines() or request.path == "/live":
            answer = problem(
                503, "Service unavailable", "The database is not answering. Try again shortly."
            )
            answer.headers.update(retry)
            return answer
        return render_template("errors/503.html"), 503, retry

    @app.errorhandler(500)
    def server_error(_error):
        from partnership.extensions import db

        db.session.rollback()  # the page itself must not trip over the failed transaction
        if _for_machines():
            return problem(500, "Internal server error", "Nothing was changed.")
        return render_template("errors/500.html"), 500
