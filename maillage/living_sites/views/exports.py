"""CSV and XLSX exports of the list of sites (``/sites/export.csv``, ``/sites/export.xlsx``).

The same GET filters as the list (``forms/filters.py``), the same sites
(``selectors.sites.sites_for_list``): one row per site with its latest figures, then a "Total"
row. The legal procedure columns are there only if the user may see the procedure in at least
one department, and filled only on the rows of those departments.

Small numbers (``permissions.figures_suppressed``: everyone but the members of a State
service) go through ``maillage.core.suppression``: counts from 1 to threshold − 1 are written
"< 5", and the cells that would give them back are written "s". The constraints are: in each
column, the Total row is the sum of the sites' rows; in each row where it holds (blank read as
0), the minors are the sum of the five age bands. People, households and children in school
are not sums of other columns. No hidden count can then be computed exactly from the shown ones
with these sums, even combined (see ``core.suppression`` for what is not guaranteed: ranges, and
two exports with different filters subtracted from each other). The markers are explained by a
note (``marker_legend``): the last line of the CSV, after the Total row, and a "Notes" sheet in
the XLSX.

Formats as in the directory's exports (``maillage.core.exports``): CSV in UTF-8 with a BOM,
``;`` separated, dates as dd/mm/yyyy; XLSX built in write-only mode; in both, text cells never
run as formulas.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from maillage.core.exports import XLSX_CONTENT_TYPE, csv_lines, xlsx_append, xlsx_bytes, xlsx_sheet, xlsx_workbook
from maillage.core.suppression import SuppressedTable, additive_constraints, marker_legend, suppress

from ..enums import FigureSource, Light
from ..forms.filters import filter_form_for
from ..models import Site, SiteUpdate
from ..permissions import can_see_procedure, figures_suppressed, site_scope
from ..selectors.sites import sites_for_list
from ..services.sites import BAND_FIELDS, FIGURE_FIELDS, PROCEDURE_FIELDS

TOTAL = "total"
FORMATS = ("csv", "xlsx")


def _label(model: type[Any], name: str) -> str:
    return capfirst(str(model._meta.get_field(name).verbose_name))


def export_headers(show_procedure: bool) -> list[str]:
    headers = [
        _label(Site, "name"),
        _label(Site, "kind"),
        _label(Site, "commune"),
        _("INSEE code"),
        _("Department"),
        _label(Site, "status"),
        _label(Site, "opened_on"),
        _label(Site, "known_since"),
        _label(Site, "closed_on"),
        _("Date of the latest update"),
        _label(SiteUpdate, "source"),
        *(_label(SiteUpdate, name) for name in FIGURE_FIELDS),
        _label(SiteUpdate, "conditions_light"),
    ]
    if show_procedure:
        headers += [_label(Site, name) for name in PROCEDURE_FIELDS]
    return headers


def _figures(sites: Sequence[Site]) -> dict[tuple[Any, str], int | None]:
    """The table of figures: (site pk or TOTAL, field) -> count, with the Total row."""
    table: dict[tuple[Any, str], int | None] = {}
    for site in sites:
        update = site.latest_update
        for name in FIGURE_FIELDS:
            table[(site.pk, name)] = getattr(update, name) if update is not None else None
    for name in FIGURE_FIELDS:
        known = [table[(site.pk, name)] for site in sites if table[(site.pk, name)] is not None]
        table[(TOTAL, name)] = sum(v for v in known if v is not None) if known else None
    return table


def _suppressed(sites: Sequence[Site], table: dict[tuple[Any, str], int | None]) -> SuppressedTable:
    rows: list[Any] = [site.pk for site in sites]
    constraints = additive_constraints([*rows, TOTAL], FIGURE_FIELDS, row_groups={TOTAL: rows})
    for row in [*rows, TOTAL]:
        minors = table[(row, "minors")]
        # Minors = sum of the bands, where it holds (a blank band read as 0, as a reader would).
        if minors is not None and minors == sum(table[(row, band)] or 0 for band in BAND_FIELDS):
            constraints += additive_constraints([row], [], column_groups={"minors": BAND_FIELDS})
    return suppress(table, constraints)


def export_rows(user: Any, sites: Sequence[Site]) -> tuple[list[str], list[list[Any]], bool]:
    """Headers, rows (values: str, int, date or None) and whether figures were suppressed."""
    show_procedure = bool(site_scope(user).procedure_departments)
    table = _figures(sites)
    hide = figures_suppressed(user)
    result = _suppressed(sites, table) if hide else None

    def figure(row: Any, name: str) -> Any:
        return result.display((row, name)) if result is not None else table[(row, name)]

    rows: list[list[Any]] = []
    for site in sites:
        update = site.latest_update
        row: list[Any] = [
            site.name,
            site.get_kind_display(),
            site.commune.name,
            site.commune_id,
            f"{site.department_id} – {site.department.name}",
            site.get_status_display(),
            site.opened_on,
            site.known_since,
            site.closed_on,
            update.observed_on if update is not None else None,
            FigureSource(update.source).label if update is not None and update.source else "",
            *(figure(site.pk, name) for name in FIGURE_FIELDS),
            Light(update.conditions_light).label if update is not None else Light.UNKNOWN.label,
        ]
        if show_procedure:
            if can_see_procedure(user, department_id=site.department_id):
                row += [
                    site.get_procedure_display(),
                    site.procedure_decision,
                    site.procedure_decided_on,
                    site.procedure_deadline,
                ]
            else:
                row += [None] * len(PROCEDURE_FIELDS)
        rows.append(row)
    total: list[Any] = [_("Total"), *([None] * 10), *(figure(TOTAL, name) for name in FIGURE_FIELDS), None]
    if show_procedure:
        total += [None] * len(PROCEDURE_FIELDS)
    rows.append(total)
    return export_headers(show_procedure), rows, hide


def export_csv(headers: list[str], rows: list[list[Any]], *, notes: list[str] | None = None) -> Iterator[str]:
    """CSV lines: UTF-8 BOM first, ``;`` separated; then each note on a line of its own (its
    first cell, the others empty, so that the file stays rectangular)."""
    padding = [""] * (len(headers) - 1)
    return csv_lines(headers, [*rows, *([note, *padding] for note in notes or [])])


def export_xlsx(headers: list[str], rows: list[list[Any]], *, notes: list[str] | None = None) -> bytes:
    """A workbook built in write-only mode: the sites (the Total row in bold), then a sheet of notes."""
    workbook = xlsx_workbook()
    sheet = xlsx_sheet(workbook, _("Sites"), headers)
    for index, row in enumerate(rows):
        xlsx_append(sheet, row, bold=index == len(rows) - 1)
    if notes:
        notes_sheet = xlsx_sheet(workbook, _("Notes"))
        for line in notes:
            xlsx_append(notes_sheet, [line])
    return xlsx_bytes(workbook)


def export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    form = filter_form_for(request.user, request.GET)
    sites = list(sites_for_list(request.user, **form.filters()))
    headers, rows, suppressed = export_rows(request.user, sites)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    notes = [marker_legend()] if suppressed else None
    if fmt == "xlsx":
        response = HttpResponse(export_xlsx(headers, rows, notes=notes), content_type=XLSX_CONTENT_TYPE)
    else:
        response = HttpResponse("".join(export_csv(headers, rows, notes=notes)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="maillage-sites-{stamp}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("export.<str:fmt>", export, name="export"),
]
