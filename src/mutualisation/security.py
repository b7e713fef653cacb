"""Security headers set on every response."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request


def _tile_origins(tile_url: str) -> str:
    parts = urlsplit(tile_url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


def install_security_headers(app: Flask) -> None:
    img_sources = " ".join(filter(None, ["'self'", "data:", _tile_origins(app.config["map"]["tile_url"])]))
    csp = (
        "default-src 'self'; "
        f"img-src {img_sources}; "
        "script-src 'self'; style-src 'self'; font-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.path.startswith("/api/") or response.mimetype == "text/html":
            # Pages and API answers carry personal data: never in a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
