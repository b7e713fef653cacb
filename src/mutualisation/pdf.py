"""HTML to PDF, in one place: experience sheets use it today, and agreements' convention PDF
(issue 11) is meant to reuse `render_pdf` rather than bring a second PDF tool.

WeasyPrint lays out HTML and CSS (print stylesheets, page sizes, page numbers) without a browser;
it needs Pango from the system. `base_url` resolves the document's relative links and stylesheets.
"""

from __future__ import annotations

from flask import Response


def render_pdf(html: str, base_url: str) -> bytes:
    """The PDF of an HTML document; imported lazily so that pages which never print skip the load."""
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()


def pdf_response(html: str, base_url: str, filename: str) -> Response:
    """A PDF answer opened inline by the browser, with a file name for saving it."""
    response = Response(render_pdf(html, base_url), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
