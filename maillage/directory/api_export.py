"""Public exports of the directory (mounted under ``/api/v1/``); see ``exporters`` for the formats.

The answers are streamed while the database is read (a fixed number of queries, whatever
the size of the directory), so they start at once and use little memory.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Router

from . import exporters

router = Router(tags=["directory export"])

JSON = "application/json; charset=utf-8"


def _stream(pieces: Iterator[str], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(pieces, content_type=JSON)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "public, max-age=300"
    return response


@router.get(
    "/export/data-inclusion/structures.json",
    auth=None,
    summary="Structures in the data·inclusion schema",
    response={200: list[dict]},
)
def export_structures(request: HttpRequest) -> StreamingHttpResponse:
    """Every active structure, as a JSON list of data·inclusion v1 structures (``id`` is our
    ``source_id``, ``source`` the original source or ``maillage``)."""
    return _stream(exporters.structures_json(), "structures.json")


@router.get(
    "/export/data-inclusion/services.json",
    auth=None,
    summary="Services in the data·inclusion schema",
    response={200: list[dict]},
)
def export_services(request: HttpRequest) -> StreamingHttpResponse:
    """Every active service of an active structure, as a JSON list of data·inclusion v1 services
    (``structure_id`` refers to the ``id`` of the structures export)."""
    return _stream(exporters.services_json(), "services.json")


@router.get("/export/hsds.json", auth=None, summary="Directory in HSDS 3.0 (Open Referral)", response={200: dict})
def export_hsds(request: HttpRequest) -> StreamingHttpResponse:
    """Active structures as HSDS 3.0 organizations with their services, locations, phones,
    schedules and data·inclusion taxonomy terms, in the shape of one page of the HSDS API's
    organization list."""
    return _stream(exporters.hsds_json(), "hsds.json")
