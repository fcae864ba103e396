"""Partnership: closed-loop referrals, a live directory and dashboards for local partners."""

import os

from flask import Flask, g, redirect, request, url_for
from flask_login import current_user
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, ValidationError

from partnership import cache, errors, inputs, logs, security, words
from partnership.columns import LARGEST_ID
from partnership.config import CONFIGS, INSTANCE, ROOT, ProductionConfig
from partnership.database import configure_engine
from partnership.extensions import csrf, db, htmx, limiter, login_manager, migrate


class IdConverter(IntegerConverter):
    """Every `<int:…>` in a URL is a row's id: a number from 1 to 2³¹ − 1, which every id
    column holds on both databases. Anything else is 404 here, never a database error:
    raised at once, since werkzeug would answer 405 when the same address also has a rule
    for another method."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, min=1, max=LARGEST_ID)

    def to_python(self, value: str) -> int:
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the app for `config_name` (default: $PARTNERSHIP_ENV, else development)."""
    config_name = config_name or os.environ.get("PARTNERSHIP_ENV", "development")
    config_class = CONFIGS[config_name]
    if config_class is ProductionConfig:
        ProductionConfig.check()

    app = Flask(
        __name__,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
        instance_path=str(INSTANCE),
    )
    app.config.from_object(config_class)
    app.config.update(overrides)
    app.url_map.converters["int"] = IdConverter
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # X-Forwarded-* are believed only from as many proxies as are said to stand in front:
        # otherwise anyone could name their own address to the sign-in rate limit.
        # Flask's documented way to wrap the WSGI app; mypy objects to assigning a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        INSTANCE.mkdir(exist_ok=True)

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # Templates read labels from the one module that holds them.
    app.jinja_env.globals["words"] = words

    inputs.init_app(app)  # before anything else reads the request
    logs.init_app(app)
    _init_extensions(app)
    _register_blueprints(app)
    errors.init_app(app)
    security.init_app(app)
    _init_templates(app)
    _require_password_change(app)
    _require_two_step(app)

    from partnership import cli
    from partnership.live import setup as live

    live.init_app(app)
    cli.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from partnership import models  # noqa: F401  (register the models with the metadata)

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    cache.init_app(app)

    from govuk_frontend_wtf.main import WTFormsHelpers

    WTFormsHelpers(app)


def _register_blueprints(app: Flask) -> None:
    from partnership.account.views import account
    from partnership.admin.views import admin
    from partnership.api import api
    from partnership.auth.views import auth
    from partnership.dashboards.views import dashboards
    from partnership.directory.views import directory
    from partnership.main.views import main
    from partnership.openreferral.views import openreferral
    from partnership.referrals.box_views import boxes
    from partnership.referrals.make_views import making
    from partnership.referrals.resident_views import residents
    from partnership.referrals.views import referrals
    from partnership.services.views import services

    app.register_blueprint(main)
    app.register_blueprint(auth)
    app.register_blueprint(directory)
    app.register_blueprint(services)
    app.register_blueprint(openreferral)
    app.register_blueprint(boxes)
    app.register_blueprint(making)
    app.register_blueprint(referrals)
    app.register_blueprint(residents)
    app.register_blueprint(dashboards)
    app.register_blueprint(account)
    app.register_blueprint(admin)
    app.register_blueprint(api)


def _init_templates(app: Flask) -> None:
    from partnership.auth import two_step
    from partnership.navigation import navigation_for
    from partnership.referrals.notifications import notification_count
    from partnership.words import local_time

    app.add_template_global(notification_count)
    app.add_template_global(two_step.must_set_up, "must_set_up_two_step")
    app.add_template_filter(local_time)

    @app.template_global()
    def navigation():
        """Built once per request, and only by pages that show it (not by fragments)."""
        if "navigation" not in g:
            g.navigation = navigation_for(current_user, request.path)
        return g.navigation

    @app.context_processor
    def inject_layout():
        return {"partnership_name": app.config["PARTNERSHIP_NAME"]}


def _require_password_change(app: Flask) -> None:
    """Someone given a temporary password chooses their own before doing anything else."""
    allowed = {
        "auth.change_password",
        "auth.sign_out",
        "static",
        "main.accessibility",
        "main.cookies",
        "main.healthz",
    }

    @app.before_request
    def check_password_change():
        if (
            current_user.is_authenticated
            and current_user.must_change_password
            and request.endpoint not in allowed
        ):
            return redirect(url_for("auth.change_password"))
        return None


def _require_two_step(app: Flask) -> None:
    """Someone who must use two-step sign-in and has not set it up does so before anything
    else (after choosing a password, if they must do that too)."""
    from partnership.auth.two_step import must_set_up

    allowed = {
        "auth.two_step_status",
        "auth.set_up_two_step",
        "auth.change_password",
        "auth.sign_out",
        "static",
        "main.accessibility",
        "main.cookies",
        "main.healthz",
    }

    @app.before_request
    def check_two_step():
        if (
            request.endpoint not in allowed
            and must_set_up(current_user)
            and not current_user.must_change_password
        ):
            return redirect(url_for("auth.two_step_status"))
        return None
