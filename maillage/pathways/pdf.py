"""PDF documents of Pathways, rendered from a template by WeasyPrint.

The HTML is rendered by Django (escaped as usual); WeasyPrint fetches nothing from the
network or the disk (a fetcher refusing every URL but ``data:``), and the style sheet is
given as a string: no request to the site, no file of the server read by accident.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

PDF_CSS = """
@page { size: A4; margin: 18mm 15mm 20mm;
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #555; } }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 9.5pt; color: #111;
  line-height: 1.35; }
h1 { font-size: 16pt; margin: 0 0 4pt; }
h2 { font-size: 12pt; margin: 14pt 0 4pt; border-bottom: 1px solid #999; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 8pt 0 2pt; break-after: avoid; }
p { margin: 2pt 0 4pt; }
.muted { color: #555; }
table { width: 100%; border-collapse: collapse; margin: 4pt 0 8pt; }
th, td { border: 1px solid #bbb; padding: 3pt 4pt; text-align: start; vertical-align: top; }
th { background: #eee; }
tr { break-inside: avoid; }
dl { margin: 0 0 6pt; }
dt { font-weight: bold; float: left; clear: left; width: 38%; }
dd { margin: 0 0 2pt 40%; }
.entry { border-left: 2px solid #999; padding-left: 6pt; margin: 4pt 0 8pt; break-inside: avoid; }
.text { white-space: pre-wrap; }
.visually-hidden { display: none; }
"""


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url, *args, **kwargs)  # type: ignore[no-any-return]
    raise ValueError("External resources are not loaded in the PDF documents.")


def render_pdf(template_name: str, context: dict[str, Any], request: HttpRequest | None = None) -> bytes:
    """The PDF of a template (rendered with the request, for the language and the URLs)."""
    from weasyprint import CSS, HTML  # heavy import: only when a PDF is asked for

    html = render_to_string(template_name, context, request=request)
    document = HTML(string=html, base_url="about:blank", url_fetcher=_no_fetch)
    return document.write_pdf(stylesheets=[CSS(string=PDF_CSS)])  # type: ignore[no-any-return]


def pdf_response(content: bytes, filename: str, *, attachment: bool = True) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
