"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, abort, request

#: No inline script or style: every script and stylesheet comes from static/.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters() -> None:
        """No one types U+0000; PostgreSQL cannot store it. Refuse it at the door."""
        if "\x00" in request.path:
            abort(400)
        # A GET has no form: reading one would parse a body for nothing.
        sources = (request.args,) if request.method == "GET" else (request.args, request.form)
        for values in sources:
            for value in values.values():
                if "\x00" in value:
                    abort(400)

    secure_headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if app.config["SESSION_COOKIE_SECURE"]:
        secure_headers.append(("Strict-Transport-Security", "max-age=31536000"))

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        """Each header unless the view set its own (read once, not once per header)."""
        present = {name.lower() for name in response.headers.keys()}
        response.headers.extend(
            (name, value) for name, value in secure_headers if name.lower() not in present
        )
        return response
