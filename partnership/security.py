"""Security headers: a strict Content-Security-Policy with a per-request nonce, and HSTS
where the app is served over TLS (production)."""

import secrets

from flask import Flask, current_app, g, request


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def set_security_headers(response):
        nonce = csp_nonce()
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
            "base-uri 'self'; object-src 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if current_app.config["STRICT_TRANSPORT_SECURITY"]:
            response.headers.setdefault(
                "Strict-Transport-Security", current_app.config["STRICT_TRANSPORT_SECURITY"]
            )
        if not request.path.startswith("/static/"):
            # Pages carry personal data: never keep them in shared or back/forward caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
