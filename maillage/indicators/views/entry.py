"""Entry of indicator values by the organisations, and the locks of periods.

- ``entry`` (/indicators/entry/): choose an organisation (among those in whose name the user
  enters values, ``permissions.entry_organisations``), an entered indicator and a period; see
  the organisation's values of that indicator in that period, change or delete them, and enter
  a new one (``services.values.value_set``: a value already in the same cell is replaced).
  Changing or deleting a value needs the right to enter values for the organisation in the
  value's current territory (``permissions.can_enter_value``), else 404.
- ``entry_template`` (fmt csv|xlsx): the organisation's bulk template (``templates_io``).
- ``entry_upload``: send a filled template; the file is read here (type, size, columns), the
  rows are checked and written all or nothing by ``services.imports.values_import``; errors are
  listed with their row numbers.
- ``locks``: coordinators lock the periods of the territories they coordinate
  (``permissions.can_coordinate``), reopen them with a reason, and read the history.

Users without an organisation to enter for (or, for the locks, without a coordinated
department) get 404, as for a value of another organisation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.core.exports import XLSX_CONTENT_TYPE
from maillage.core.forms import add_service_errors
from maillage.organisations.models import Organisation
from maillage.organisations.permissions import access_for
from maillage.territory.models import EPCI, Commune, Department, Region

from .. import enums, templates_io
from ..forms.entry import EntryChoiceForm, UploadForm, ValueForm, flag_errors
from ..forms.locks import LockForm, ReopenForm
from ..models import Indicator, IndicatorValue, PeriodLock, PeriodLockEvent
from ..periods import Period
from ..permissions import can_coordinate, can_enter_value, entry_organisations
from ..services.imports import values_import
from ..services.locks import period_lock, period_reopen
from ..services.values import value_delete, value_set
from ..territories import Territory

_NAME_MODELS: dict[str, Any] = {
    enums.TerritoryLevel.REGION: Region,
    enums.TerritoryLevel.DEPARTMENT: Department,
    enums.TerritoryLevel.EPCI: EPCI,
    enums.TerritoryLevel.COMMUNE: Commune,
}


# --- Helpers ----------------------------------------------------------------------------------


def territory_names(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """{(level, code): name}, one query per level present."""
    by_level: dict[str, set[str]] = {}
    for level, code in keys:
        by_level.setdefault(level, set()).add(code)
    names: dict[tuple[str, str], str] = {}
    for level, codes in by_level.items():
        model = _NAME_MODELS.get(level)
        if model is not None:
            for code, name in model.objects.filter(pk__in=codes).values_list("pk", "name"):
                names[(level, code)] = name
    return names


def _territory_label(names: dict[tuple[str, str], str], level: str, code: str) -> str:
    name = names.get((level, code))
    return f"{name} ({code})" if name else f"{level}:{code}"


def _covered_regions(departments: set[str]) -> dict[str, str]:
    """{code: name} of the regions all of whose departments are in ``departments``."""
    regions: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    rows = Department.objects.filter(
        region_id__in=Department.objects.filter(code__in=departments).values("region_id")
    ).values_list("region_id", "region__name", "code")
    for region, name, code in rows:
        regions.setdefault(region, set()).add(code)
        names[region] = name
    return {region: names[region] for region, codes in regions.items() if codes <= departments}


def _territory_options(departments: set[str]) -> list[tuple[str, str]]:
    """(key, label) of the departments and the regions covered, for a datalist."""
    options = [
        (f"{enums.TerritoryLevel.REGION}:{code}", f"{name} ({code})")
        for code, name in sorted(_covered_regions(departments).items())
    ]
    options += [
        (f"{enums.TerritoryLevel.DEPARTMENT}:{code}", f"{name} ({code})")
        for code, name in Department.objects.filter(code__in=departments).order_by("code").values_list("code", "name")
    ]
    return options


def _entry_scope(request: HttpRequest) -> tuple[dict[int, set[str]], list[Organisation]]:
    scope = entry_organisations(request.user)
    if not scope:
        raise Http404
    return scope, list(Organisation.objects.filter(pk__in=scope).order_by("name", "pk"))


def _entered_indicators() -> list[Indicator]:
    return list(Indicator.objects.filter(source=enums.Source.ENTERED, is_active=True))


def _entry_url(organisation: Organisation, indicator: Indicator, period: Period) -> str:
    query = urlencode({"organisation": organisation.pk, "indicator": indicator.code, "period": period.code})
    return f"{reverse('indicators:entry')}?{query}"


def _plain(number: Decimal) -> Decimal | int:
    """120.00 → 120, 12.50 → 12.5: the value as the user wrote it."""
    return int(number) if number == number.to_integral_value() else number.normalize()


def _current_year() -> Period:
    return Period(enums.PeriodKind.YEAR, date(timezone.localdate().year, 1, 1))


def _values_rows(organisation: Organisation, indicator: Indicator, period: Period) -> list[IndicatorValue]:
    """The organisation's values of the indicator in the period (or in a period inside it), with
    their territory's label. Two queries and one per territory level present."""
    values = [
        v
        for v in IndicatorValue.objects.filter(
            organisation=organisation,
            indicator=indicator,
            period_start__gte=period.start,
            period_start__lte=period.end,
        )
        .select_related("entered_by")
        .order_by("period_start", "-period_kind", "territory_level", "territory_code", "kind", "breakdown")
        if period.contains(Period(v.period_kind, v.period_start))
    ]
    names = territory_names((v.territory_level, v.territory_code) for v in values)
    labels = {f"{d}={p}": str(label) for d, parts in enums.BREAKDOWN_PARTS.items() for p, label in parts}
    for v in values:
        v.territory_label = _territory_label(names, v.territory_level, v.territory_code)  # type: ignore[attr-defined]
        v.period_code = Period(v.period_kind, v.period_start).code  # type: ignore[attr-defined]
        v.breakdown_label = labels.get(v.breakdown, v.breakdown) if v.breakdown else ""  # type: ignore[attr-defined]
    return values


# --- Entry ------------------------------------------------------------------------------------


def entry(request: HttpRequest) -> HttpResponse:
    scope, organisations = _entry_scope(request)
    indicators = _entered_indicators()
    data = request.GET if "indicator" in request.GET else None
    initial = {"organisation": organisations[0].pk, "period": _current_year().code}
    choice = EntryChoiceForm(data, initial=initial, organisations=organisations, indicators=indicators)
    if data is None or not choice.is_valid():
        if request.method == "POST":
            raise Http404
        flag_errors(choice)
        return render(
            request,
            "indicators/entry/entry.html",
            {"choice": choice, "organisations": organisations, "indicators": indicators},
        )
    organisation: Organisation = choice.cleaned_data["organisation"]
    indicator: Indicator = choice.cleaned_data["indicator"]
    period: Period = choice.cleaned_data["period"] or _current_year()
    editing = None
    if edit := request.GET.get("edit", ""):
        editing = IndicatorValue.objects.filter(
            pk=int(edit) if edit.isdigit() else 0, organisation=organisation, indicator=indicator
        ).first()
        # The value's current territory must be one where the user enters values for the
        # organisation (``value_set`` checks only the territory it is moved to).
        if editing is None or not can_enter_value(
            request.user, organisation.pk, Territory(editing.territory_level, editing.territory_code)
        ):
            raise Http404
    departments = scope[organisation.pk]
    territories = _territory_options(departments)
    status = 200
    if request.method == "POST":
        form = ValueForm(request.POST, indicator=indicator, territories=territories)
        if form.is_valid():
            saved = _save_value(request, form, organisation, indicator, editing)
            if saved is not None:
                messages.success(request, _("The value was saved."))
                shown = period if period.contains(Period(saved.period_kind, saved.period_start)) else None
                return redirect(
                    _entry_url(organisation, indicator, shown or Period.of(enums.PeriodKind.YEAR, saved.period_start))
                )
        status = 400
    elif editing is not None:
        form = ValueForm(
            initial={
                "territory": f"{editing.territory_level}:{editing.territory_code}",
                "period": Period(editing.period_kind, editing.period_start).code,
                "kind": editing.kind,
                "breakdown": editing.breakdown,
                "value": _plain(editing.value),
                "comment": editing.comment,
            },
            indicator=indicator,
            territories=territories,
        )
    else:
        default_territory = territories[-1][0] if len(departments) == 1 else ""
        form = ValueForm(
            initial={"territory": default_territory, "period": period.code},
            indicator=indicator,
            territories=territories,
        )
    flag_errors(form)
    return render(
        request,
        "indicators/entry/entry.html",
        {
            "choice": choice,
            "organisations": organisations,
            "indicators": indicators,
            "organisation": organisation,
            "indicator": indicator,
            "period": period,
            "values": _values_rows(organisation, indicator, period),
            "form": form,
            "editing": editing,
            "territories": territories,
            "selection_query": urlencode(
                {"organisation": organisation.pk, "indicator": indicator.code, "period": period.code}
            ),
        },
        status=status,
    )


def _save_value(
    request: HttpRequest,
    form: ValueForm,
    organisation: Organisation,
    indicator: Indicator,
    editing: IndicatorValue | None,
) -> IndicatorValue | None:
    data = form.cleaned_data
    try:
        territory = Territory.parse(data["territory"])
    except ValueError as error:
        form.add_error("territory", str(error))
        return None
    if not can_enter_value(request.user, organisation.pk, territory):
        form.add_error(
            "territory",
            _("%(territory)s is outside the departments in which you enter values for %(organisation)s.")
            % {"territory": territory.key, "organisation": organisation.name},
        )
        return None
    try:
        return value_set(
            actor=request.user,
            organisation=organisation,
            indicator=indicator,
            territory=territory,
            period=data["period"],
            kind=data["kind"],
            breakdown=data["breakdown"],
            value=data["value"],
            comment=data["comment"],
            instance=editing,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None


@require_POST
def entry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope = entry_organisations(request.user)
    value = get_object_or_404(
        IndicatorValue.objects.select_related("indicator", "organisation"), pk=pk, organisation_id__in=list(scope)
    )
    territory = Territory(value.territory_level, value.territory_code)
    if value.organisation is None or not can_enter_value(request.user, value.organisation.pk, territory):
        raise Http404
    try:
        shown = Period.parse(request.POST.get("period", ""))
    except ValueError:
        shown = Period.of(enums.PeriodKind.YEAR, value.period_start)
    try:
        value_delete(actor=request.user, value=value)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The value was deleted."))
    return redirect(_entry_url(value.organisation, value.indicator, shown))


# --- Bulk template ----------------------------------------------------------------------------


def _organisation_of(request: HttpRequest, scope: dict[int, set[str]], raw: str | None) -> Organisation:
    if raw and raw.isdigit() and int(raw) in scope:
        return get_object_or_404(Organisation, pk=int(raw))
    if not raw and len(scope) == 1:
        return get_object_or_404(Organisation, pk=next(iter(scope)))
    raise Http404


def entry_template(request: HttpRequest, fmt: str) -> HttpResponse:
    scope = entry_organisations(request.user)
    if not scope or fmt not in ("csv", "xlsx"):
        raise Http404
    organisation = _organisation_of(request, scope, request.GET.get("organisation"))
    year = templates_io.template_year()
    rows = templates_io.template_rows(organisation, scope[organisation.pk], year)
    filename = f"maillage-indicators-{slugify(organisation.name) or organisation.pk}-{year}.{fmt}"
    if fmt == "csv":
        response = HttpResponse("".join(templates_io.template_csv(rows)), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(templates_io.template_xlsx(rows), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def entry_upload(request: HttpRequest) -> HttpResponse:
    _scope, organisations = _entry_scope(request)
    result = None
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, organisations=organisations)
        if form.is_valid() and form.parsed is not None:
            organisation = form.cleaned_data["organisation"]
            if form.parsed.errors:
                for line, message in form.parsed.errors:
                    form.add_error(None, _("Row %(row)s: %(message)s") % {"row": line, "message": message})
            else:
                result = values_import(actor=request.user, organisation=organisation, rows=form.parsed.rows)
                if result.ok:
                    messages.success(
                        request,
                        _(
                            "%(organisation)s: %(created)s values added and %(updated)s replaced. "
                            "%(skipped)s rows without a value were left out."
                        )
                        % {
                            "organisation": organisation.name,
                            "created": result.created,
                            "updated": result.updated,
                            "skipped": form.parsed.skipped + result.skipped,
                        },
                    )
                    return redirect("indicators:entry_upload")
        status = 400
    else:
        form = UploadForm(initial={"organisation": organisations[0].pk}, organisations=organisations)
    flag_errors(form)
    return render(
        request,
        "indicators/entry/upload.html",
        {
            "form": form,
            "organisations": organisations,
            "result": result,
            "columns": templates_io.COLUMNS,
            "year": templates_io.template_year(),
        },
        status=status,
    )


# --- Locks ------------------------------------------------------------------------------------


def _coordinated(request: HttpRequest) -> set[str]:
    departments = set(access_for(request.user).coordinated_departments)
    if not departments:
        raise Http404
    return departments


def _locks_page(
    request: HttpRequest,
    departments: set[str],
    *,
    lock_form: LockForm | None = None,
    reopen_form: ReopenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    regions = _covered_regions(departments)
    communes = Commune.objects.filter(department_id__in=departments)
    where = (
        Q(territory_level=enums.TerritoryLevel.DEPARTMENT, territory_code__in=departments)
        | Q(territory_level=enums.TerritoryLevel.REGION, territory_code__in=list(regions))
        | Q(territory_level=enums.TerritoryLevel.COMMUNE, territory_code__in=communes.values("code"))
        | Q(territory_level=enums.TerritoryLevel.EPCI, territory_code__in=communes.values("epci_id"))
    )
    locks = list(
        PeriodLock.objects.filter(where).order_by("-period_start", "period_kind", "territory_level", "territory_code")
    )
    events = list(
        PeriodLockEvent.objects.filter(lock__in=[lock.pk for lock in locks]).select_related("lock", "actor")[:200]
    )
    names = territory_names((lock.territory_level, lock.territory_code) for lock in locks)
    reopen_key = ""
    if reopen_form is not None:
        reopen_key = f"{reopen_form.data.get('territory', '')}|{reopen_form.data.get('period', '')}"
    by_pk = {}
    for lock in locks:
        lock.territory_key = f"{lock.territory_level}:{lock.territory_code}"  # type: ignore[attr-defined]
        lock.territory_label = _territory_label(names, lock.territory_level, lock.territory_code)  # type: ignore[attr-defined]
        lock.period_code = Period(lock.period_kind, lock.period_start).code  # type: ignore[attr-defined]
        key = f"{lock.territory_key}|{lock.period_code}"  # type: ignore[attr-defined]
        lock.reopen_messages = []  # type: ignore[attr-defined]
        if reopen_form is not None and key == reopen_key:
            lock.reopen_form = reopen_form  # type: ignore[attr-defined]
            lock.reopen_messages = [  # type: ignore[attr-defined]
                message for name, errors in reopen_form.errors.items() if name != "reason" for message in errors
            ]
        else:
            lock.reopen_form = ReopenForm(  # type: ignore[attr-defined]
                initial={"territory": lock.territory_key, "period": lock.period_code},  # type: ignore[attr-defined]
                auto_id=f"id_reopen{lock.pk}_%s",
            )
        by_pk[lock.pk] = lock
    for event in events:
        event.lock = by_pk.get(event.lock_id, event.lock)
    # Errors of a reopening whose lock is not listed (not locked, or not one of the user's).
    reopen_errors = []
    if reopen_form is not None and not any(getattr(lock, "reopen_form", None) is reopen_form for lock in locks):
        reopen_errors = [message for messages_ in reopen_form.errors.values() for message in messages_]
    for form in (lock_form, reopen_form):
        if form is not None:
            flag_errors(form)
    return render(
        request,
        "indicators/locks/locks.html",
        {
            "locks": locks,
            "events": events,
            "lock_form": lock_form or LockForm(),
            "reopen_key": reopen_key,
            "reopen_errors": reopen_errors,
            "territories": _territory_options(departments),
        },
        status=status,
    )


def _checked_territory(request: HttpRequest, form: LockForm | ReopenForm) -> Territory | None:
    try:
        territory = Territory.parse(form.cleaned_data["territory"])
    except ValueError as error:
        form.add_error("territory" if isinstance(form, LockForm) else None, str(error))
        return None
    if not can_coordinate(request.user, territory):
        form.add_error(
            "territory" if isinstance(form, LockForm) else None,
            _("You don't coordinate %(territory)s: you lock and reopen only the territories you coordinate.")
            % {"territory": territory.key},
        )
        return None
    return territory


def locks(request: HttpRequest) -> HttpResponse:
    departments = _coordinated(request)
    if request.method != "POST":
        return _locks_page(request, departments)
    form = LockForm(request.POST)
    if form.is_valid() and (territory := _checked_territory(request, form)) is not None:
        try:
            lock = period_lock(
                actor=request.user,
                territory=territory,
                period=form.cleaned_data["period"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("The period %(period)s is locked for %(territory)s.")
                % {"period": Period(lock.period_kind, lock.period_start).code, "territory": str(territory)},
            )
            return redirect("indicators:locks")
    return _locks_page(request, departments, lock_form=form, status=400)


@require_POST
def lock_reopen(request: HttpRequest) -> HttpResponse:
    departments = _coordinated(request)
    form = ReopenForm(request.POST, auto_id="id_reopen_%s")
    if form.is_valid() and (territory := _checked_territory(request, form)) is not None:
        try:
            lock = period_reopen(
                actor=request.user,
                territory=territory,
                period=form.cleaned_data["period"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("The period %(period)s is reopened for %(territory)s.")
                % {"period": Period(lock.period_kind, lock.period_start).code, "territory": str(territory)},
            )
            return redirect("indicators:locks")
    return _locks_page(request, departments, reopen_form=form, status=400)


urlpatterns = [
    path("entry/", entry, name="entry"),
    path("entry/values/<int:pk>/delete/", entry_delete, name="entry_delete"),
    path("entry/template.<str:fmt>", entry_template, name="entry_template"),
    path("entry/upload/", entry_upload, name="entry_upload"),
    path("locks/", locks, name="locks"),
    path("locks/reopen/", lock_reopen, name="lock_reopen"),
]
