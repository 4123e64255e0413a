"""Pages of the rights portal: the questionnaire, the result, saved results.

Public (``login_not_required``), usable without JavaScript. Nothing is stored on the server
while the person answers: the answers travel in an encrypted token (``state.py``) in the
URL of each step (GET, so the browser's back button shows the previous step with its
answers). A result is stored only when the person asks for a link (``services``).
A logged-in professional sees the same pages in "mediator mode".
"""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import ValidationError

from maillage.core.http import client_ip
from maillage.territory.models import Department

from . import engine, places, selectors, services, state
from .engine import Evaluation
from .enums import FrenchLevel, HealthCover, Housing, ResidenceStatus, Status
from .forms import (
    HEALTH_UNKNOWN,
    NO,
    UNKNOWN,
    YES,
    AddressForm,
    AdultForm,
    ChildrenForm,
    EmailForm,
    HealthForm,
    HouseholdForm,
    HousingForm,
    PlaceForm,
    StepForm,
)
from .schema import Answers

PLACE, HOUSEHOLD, CHILDREN, HOUSING, ADDRESS, HEALTH, SUMMARY = (
    "lieu",
    "foyer",
    "enfants",
    "logement",
    "adresse",
    "sante",
    "recapitulatif",
)
ADULT_PREFIX = "adulte-"
EMAIL_RATE_PER_HOUR = 10


# --- The steps -----------------------------------------------------------------------------


def steps_for(data: dict[str, Any]) -> list[str]:
    """The screens for these answers, in order (one per adult; children only if any)."""
    adults = max(int(data.get("adults_count") or 1), 1)
    slugs = [PLACE, HOUSEHOLD] + [f"{ADULT_PREFIX}{i}" for i in range(1, adults + 1)]
    if data.get("children_count"):
        slugs.append(CHILDREN)
    return [*slugs, HOUSING, ADDRESS, HEALTH, SUMMARY]


def _adult_index(slug: str) -> int | None:
    if slug.startswith(ADULT_PREFIX) and slug[len(ADULT_PREFIX) :].isdigit():
        return int(slug[len(ADULT_PREFIX) :]) - 1
    return None


def step_done(data: dict[str, Any], slug: str) -> bool:
    index = _adult_index(slug)
    if index is not None:
        adults = data.get("adults") or []
        return index < len(adults) and bool(adults[index])
    if slug == CHILDREN:
        return len(data.get("children") or []) == int(data.get("children_count") or 0)
    key = {
        PLACE: "department",
        HOUSEHOLD: "adults_count",
        HOUSING: "housing",
        ADDRESS: "has_address",
        HEALTH: "health_cover",
    }.get(slug)
    if key is None:  # the summary
        return all(step_done(data, s) for s in steps_for(data) if s != SUMMARY)
    return key in data


def first_incomplete(data: dict[str, Any]) -> str:
    return next((s for s in steps_for(data) if s != SUMMARY and not step_done(data, s)), SUMMARY)


def step_url(slug: str, token: str, *, back_to_summary: bool = False) -> str:
    params = {"s": token} if token else {}
    if back_to_summary:
        params["r"] = "1"
    query = f"?{urlencode(params)}" if params else ""
    return reverse("rights:step", args=[slug]) + query


def _with_token(name: str, token: str) -> str:
    return f"{reverse(name)}?{urlencode({'s': token})}"


def answers_from(data: dict[str, Any]) -> dict[str, Any]:
    """The ``schema.Answers`` payload of the questionnaire's state."""
    housing = data.get("housing")
    has_address = data.get("has_address")
    health = data.get("health_cover")
    return {
        "department": data.get("department"),
        "commune": data.get("commune") or None,
        "household": {
            "adults": (data.get("adults") or [])[: int(data.get("adults_count") or 0)],
            "children": data.get("children") or [],
        },
        "housing": housing,
        "rent_eur": data.get("rent_eur") or 0 if housing == Housing.RENTED else 0,
        "has_address": True if has_address == YES else False if has_address == NO else None,
        "health_cover": None if health in (None, HEALTH_UNKNOWN) else health,
    }


def step_of_error(loc: tuple[Any, ...], message: str) -> str:
    """The screen that asks the answer a validation error is about."""
    if not loc:
        return PLACE if "commune" in message.lower() else HOUSING
    head = loc[0]
    if head in ("department", "commune"):
        return PLACE
    if head == "household":
        if len(loc) > 2 and loc[1] == "adults" and isinstance(loc[2], int):
            return f"{ADULT_PREFIX}{loc[2] + 1}"
        if len(loc) > 2 and loc[1] == "children" and isinstance(loc[2], int):
            return CHILDREN
        return HOUSEHOLD
    return {"housing": HOUSING, "rent_eur": HOUSING, "has_address": ADDRESS, "health_cover": HEALTH}.get(
        str(head), PLACE
    )


def validate(data: dict[str, Any]) -> tuple[Answers | None, list[dict[str, str]]]:
    """The checked answers, or the errors with the screen to correct."""
    try:
        answers = Answers.model_validate(answers_from(data))
    except ValidationError as error:
        problems = []
        for item in error.errors():
            message = str(item.get("msg", "")).removeprefix("Value error, ")
            problems.append({"step": step_of_error(tuple(item["loc"]), message), "message": message})
        return None, problems
    try:
        selectors.check_place(answers)
    except DjangoValidationError as error:
        return None, [{"step": PLACE, "message": m} for m in error.messages]
    return answers, []


# --- Helpers -------------------------------------------------------------------------------


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {"mediator": bool(request.user.is_authenticated), **extra}


def _step_cache(response: HttpResponse) -> HttpResponse:
    # No "no-store": the back button must show the previous step with its answers.
    patch_cache_control(response, private=True, max_age=0)
    patch_vary_headers(response, ["Cookie"])
    return response


def _no_store(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, no_store=True)
    patch_vary_headers(response, ["Cookie"])
    return response


def _expired(request: HttpRequest) -> HttpResponse:
    return _no_store(render(request, "rights/expired.html", _context(request), status=410))


def _lang() -> str:
    return (get_language() or "fr").split("-")[0]


def _error_links(form: django_forms.Form) -> list[dict[str, str]]:
    links: list[dict[str, str]] = []
    for name, errors in form.errors.items():
        if name == "__all__" or name not in form.fields:
            links.extend({"href": "#step-form", "label": "", "text": str(e)} for e in errors)
            continue
        bound = form[name]
        target = bound.auto_id + ("_0" if isinstance(form.fields[name].widget, django_forms.RadioSelect) else "")
        links.extend({"href": f"#{target}", "label": str(bound.label), "text": str(e)} for e in errors)
    return links


# --- Questionnaire -------------------------------------------------------------------------


@login_not_required
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    response = render(request, "rights/start.html", _context(request, first_step=reverse("rights:step", args=[PLACE])))
    return _step_cache(response)


def _form_for(slug: str, data: dict[str, Any], post: Any = None) -> tuple[StepForm, dict[str, Any]]:
    """The form of a screen and the texts around it."""
    index = _adult_index(slug)
    if slug == PLACE:
        initial = {"department": data.get("department", ""), "commune": data.get("commune_name", "")}
        return PlaceForm(post, initial=initial), {"title": _("Where do you live?")}
    if slug == HOUSEHOLD:
        initial = {"adults": data.get("adults_count"), "children": data.get("children_count")}
        return HouseholdForm(post, initial=initial), {"title": _("Who lives with you?")}
    if index is not None:
        adults = data.get("adults") or []
        adult = adults[index] if index < len(adults) else None
        if index == 0:
            title = _("About you")
        else:
            title = _("About adult %(number)s") % {"number": index + 1}
        return AdultForm(post, initial=AdultForm.initial_from(adult)), {
            "title": title,
            "lead": _("If you fill this in for someone, answer for them."),
        }
    if slug == CHILDREN:
        count = int(data.get("children_count") or 0)
        initial = ChildrenForm.initial_from(data.get("children") or [])
        return ChildrenForm(post, initial=initial, count=count), {"title": _("The children")}
    if slug == HOUSING:
        initial = {"housing": data.get("housing"), "rent_eur": data.get("rent_eur") or None}
        return HousingForm(post, initial=initial), {"title": _("Your home")}
    if slug == ADDRESS:
        return AddressForm(post, initial={"has_address": data.get("has_address")}), {"title": _("Your address")}
    return HealthForm(post, initial={"health_cover": data.get("health_cover")}), {"title": _("Your health cover")}


def _update(slug: str, data: dict[str, Any], form: StepForm) -> dict[str, Any]:
    """The state after a valid screen."""
    new = dict(data)
    cleaned = form.cleaned_data
    index = _adult_index(slug)
    if slug == PLACE:
        new.update(
            department=cleaned["department"],
            commune=cleaned.get("commune_code") or "",
            commune_name=cleaned.get("commune") or "",
        )
    elif slug == HOUSEHOLD:
        new["adults_count"] = cleaned["adults"]
        new["children_count"] = cleaned["children"]
        new["adults"] = (data.get("adults") or [])[: cleaned["adults"]]
        children = (data.get("children") or [])[: cleaned["children"]]
        # More children than before: the children's screen has to be answered again.
        new["children"] = children
    elif index is not None:
        adults = list(data.get("adults") or [])
        adults.extend([None] * (index + 1 - len(adults)))
        adults[index] = cleaned["adult"]
        new["adults"] = adults
    elif slug == CHILDREN:
        new["children"] = cleaned["children_list"]
    elif slug == HOUSING:
        new["housing"] = cleaned["housing"]
        new["rent_eur"] = cleaned["rent"]
    elif slug == ADDRESS:
        new["has_address"] = cleaned["has_address"]
    elif slug == HEALTH:
        new["health_cover"] = cleaned["health_cover"]
    return new


@login_not_required
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, slug: str) -> HttpResponse:
    token = (request.POST.get("s") if request.method == "POST" else request.GET.get("s")) or ""
    try:
        data = state.decode(token)
    except state.StateError:
        return _expired(request)
    slugs = steps_for(data)
    if slug not in slugs:
        return redirect(step_url(first_incomplete(data), token), permanent=False)
    position = slugs.index(slug)
    missing = next((s for s in slugs[:position] if not step_done(data, s)), None)
    if missing is not None:
        return redirect(step_url(missing, token))
    if slug == SUMMARY:
        return summary(request, data, token)

    back_to_summary = (request.POST.get("r") or request.GET.get("r")) == "1"
    form, texts = _form_for(slug, data, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        new = _update(slug, data, form)
        new_token = state.encode(new)
        new_slugs = steps_for(new)
        if back_to_summary:
            target = first_incomplete(new)
        else:
            here = new_slugs.index(slug)
            target = new_slugs[here + 1]
            if target == SUMMARY or not all(step_done(new, s) for s in new_slugs[: here + 1]):
                target = first_incomplete(new)
        return _see_other(step_url(target, new_token))
    form.describe()
    previous = slugs[position - 1] if position else None
    context = _context(
        request,
        form=form,
        slug=slug,
        token=token,
        back_to_summary=back_to_summary,
        number=position + 1,
        total=len(slugs) + 1,  # the result is the last step
        previous_url=step_url(previous, token) if previous else reverse("rights:start"),
        summary_url=step_url(SUMMARY, token),
        error_links=_error_links(form) if form.is_bound else [],
        children_groups=form.groups() if isinstance(form, ChildrenForm) else None,
        **texts,
    )
    return _step_cache(render(request, "rights/step.html", context))


def _see_other(url: str) -> HttpResponse:
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _yes_no_label(value: Any) -> str:
    return {YES: _("Yes"), NO: _("No"), UNKNOWN: _("I don't know"), True: _("Yes"), False: _("No")}.get(
        value, _("I don't know")
    )


def _department_label(code: str | None) -> str:
    name = Department.objects.filter(code=code).values_list("name", flat=True).first() if code else None
    return f"{code} – {name}" if name else str(code or "")


def summary_sections(data: dict[str, Any], token: str) -> list[dict[str, Any]]:
    """Every answer, grouped by screen, with the link to change it."""

    def link(slug: str) -> str:
        return step_url(slug, token, back_to_summary=True)

    place = data.get("commune_name") or _("Not given")
    sections: list[dict[str, Any]] = [
        {
            "title": _("Where you live"),
            "url": link(PLACE),
            "items": [(_("Department"), _department_label(data.get("department"))), (_("Town"), place)],
        },
        {
            "title": _("Who lives with you"),
            "url": link(HOUSEHOLD),
            "items": [(_("Adults"), data.get("adults_count")), (_("Children"), data.get("children_count"))],
        },
    ]
    for i, adult in enumerate((data.get("adults") or [])[: int(data.get("adults_count") or 0)]):
        if not adult:
            continue
        months = adult.get("months_in_france")
        items = [
            (_("Age"), adult.get("age")),
            (_("Papers to stay in France"), _label(ResidenceStatus, adult.get("residence_status"))),
        ]
        if adult.get("residence_status") == ResidenceStatus.RESIDENCE_PERMIT:
            items += [
                (_("Years with the permit"), adult.get("permit_years")),
                (_("The permit allows work"), _yes_no_label(bool(adult.get("permit_allows_work")))),
            ]
        items += [
            (_("Months in France"), _("I don't know") if months is None else months),
            (_("Works"), _yes_no_label(bool(adult.get("working")))),
            (_("Money earned each month"), f"{adult.get('monthly_income_eur') or 0:g} €"),
            (
                _("French"),
                _label(FrenchLevel, adult["french_level"]) if adult.get("french_level") else _("Not given"),
            ),
        ]
        title = _("You") if i == 0 else _("Adult %(number)s") % {"number": i + 1}
        sections.append({"title": title, "url": link(f"{ADULT_PREFIX}{i + 1}"), "items": items})
    if data.get("children_count"):
        items = [
            (
                _("Child %(number)s") % {"number": i + 1},
                _("%(age)s years old, at school: %(school)s")
                % {"age": c.get("age"), "school": _yes_no_label(bool(c.get("in_school")))},
            )
            for i, c in enumerate(data.get("children") or [])
        ]
        sections.append({"title": _("The children"), "url": link(CHILDREN), "items": items})
    housing_items: list[tuple[Any, Any]] = [(_("Where you live now"), _label(Housing, data.get("housing")))]
    if data.get("housing") == Housing.RENTED:
        housing_items.append((_("Rent each month"), f"{data.get('rent_eur') or 0:g} €"))
    sections += [
        {"title": _("Your home"), "url": link(HOUSING), "items": housing_items},
        {
            "title": _("Your address"),
            "url": link(ADDRESS),
            "items": [(_("Can receive letters"), _yes_no_label(data.get("has_address")))],
        },
        {
            "title": _("Your health cover"),
            "url": link(HEALTH),
            "items": [
                (
                    _("Health cover"),
                    _("I don't know")
                    if data.get("health_cover") == HEALTH_UNKNOWN
                    else _label(HealthCover, data.get("health_cover")),
                )
            ],
        },
    ]
    return sections


def summary(request: HttpRequest, data: dict[str, Any], token: str) -> HttpResponse:
    if request.method != "GET":
        return HttpResponse(status=405)
    _answers, problems = validate(data)
    for problem in problems:
        problem["url"] = step_url(problem["step"], token, back_to_summary=True)
    slugs = steps_for(data)
    context = _context(
        request,
        sections=summary_sections(data, token),
        problems=problems,
        number=len(slugs),
        total=len(slugs) + 1,
        previous_url=step_url(slugs[-2], token),
        result_url=_with_token("rights:result", token),
        token=token,
    )
    return _step_cache(render(request, "rights/summary.html", context))


# --- Result --------------------------------------------------------------------------------


def _evaluate(answers: Answers) -> Evaluation:
    evaluation = engine.evaluate(answers, lang=_lang())
    places.attach_places(evaluation)
    return evaluation


def _groups(evaluation: Evaluation) -> list[dict[str, Any]]:
    return [
        {"status": status.value, "label": status.label, "results": evaluation.by_status(status)}
        for status in (Status.ELIGIBLE, Status.MAYBE, Status.NOT_ELIGIBLE)
    ]


def _checked_answers(request: HttpRequest) -> tuple[Answers, str] | HttpResponse:
    """The valid answers of the ``s`` token, or the page to show instead (expired, summary)."""
    token = request.GET.get("s") or request.POST.get("s") or ""
    try:
        data = state.decode(token)
    except state.StateError:
        return _expired(request)
    if not data:
        return redirect("rights:start")
    answers, _problems = validate(data)
    if answers is None:
        return redirect(step_url(SUMMARY, token))
    return answers, token


def _result_context(
    request: HttpRequest, evaluation: Evaluation, *, token: str = "", saved_token: str = "", **extra: Any
) -> dict[str, Any]:
    attach = (
        services.pathways_attach_url(token=token, saved_token=saved_token) if request.user.is_authenticated else None
    )
    return _context(
        request,
        evaluation=evaluation,
        groups=_groups(evaluation),
        token=token,
        saved_token=saved_token,
        attach_url=attach,
        email_form=extra.pop("email_form", None) or EmailForm(auto_id="id_email_%s"),
        **extra,
    )


@login_not_required
@require_GET
def result(request: HttpRequest) -> HttpResponse:
    found = _checked_answers(request)
    if isinstance(found, HttpResponse):
        return found
    answers, token = found
    context = _result_context(
        request,
        _evaluate(answers),
        token=token,
        summary_url=step_url(SUMMARY, token),
        print_url=_with_token("rights:result_print", token),
    )
    return _no_store(render(request, "rights/result.html", context))


@login_not_required
@require_GET
def result_print(request: HttpRequest) -> HttpResponse:
    found = _checked_answers(request)
    if isinstance(found, HttpResponse):
        return found
    answers, token = found
    context = _context(
        request,
        evaluation=_evaluate(answers),
        back_url=_with_token("rights:result", token),
    )
    context["groups"] = _groups(context["evaluation"])
    return _no_store(render(request, "rights/result_print.html", context))


@login_not_required
@require_POST
def save(request: HttpRequest) -> HttpResponse:
    found = _checked_answers(request)
    if isinstance(found, HttpResponse):
        return found
    answers, _token = found
    _saved, clear = services.saved_evaluation_create(answers=answers, lang=_lang(), actor=request.user)
    return _see_other(reverse("rights:saved", args=[clear]))


def _email_limited(request: HttpRequest) -> bool:
    """At most ``EMAIL_RATE_PER_HOUR`` e-mails per client address and hour."""
    key = f"rights:email:{client_ip(request) or 'unknown'}"
    if cache.add(key, 1, 3600):
        return False
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, 3600)
        return False
    return count > EMAIL_RATE_PER_HOUR


def _send(request: HttpRequest, form: EmailForm, answers: Answers, clear: str) -> None:
    evaluation = engine.evaluate(answers, lang=_lang(), amounts=False)
    services.evaluation_email_send(
        to=form.cleaned_data["email"],
        link=request.build_absolute_uri(reverse("rights:saved", args=[clear])),
        evaluation=evaluation,
        lang=_lang(),
    )


@login_not_required
@require_POST
def email(request: HttpRequest) -> HttpResponse:
    """Save the result and send its link (from the result page)."""
    found = _checked_answers(request)
    if isinstance(found, HttpResponse):
        return found
    answers, token = found
    form = EmailForm(request.POST, auto_id="id_email_%s")
    limited = form.is_valid() and _email_limited(request)
    if limited:
        form.add_error("email", _("Too many e-mails were sent from this connection. Try again in an hour."))
    if not form.is_valid():
        context = _result_context(
            request,
            _evaluate(answers),
            token=token,
            email_form=form,
            summary_url=step_url(SUMMARY, token),
            print_url=_with_token("rights:result_print", token),
        )
        return _no_store(render(request, "rights/result.html", context, status=429 if limited else 200))
    _saved, clear = services.saved_evaluation_create(answers=answers, lang=_lang(), actor=request.user)
    _send(request, form, answers, clear)
    return _see_other(reverse("rights:saved", args=[clear]) + "?sent=1")


# --- Saved results -------------------------------------------------------------------------


def _gone(request: HttpRequest) -> HttpResponse:
    return _no_store(render(request, "rights/saved_gone.html", _context(request), status=404))


def _saved_answers(token: str) -> tuple[Any, Answers | None]:
    saved = services.saved_evaluation_get(token)
    if saved is None:
        return None, None
    try:
        return saved, Answers.model_validate(saved.answers)
    except ValidationError:  # the questionnaire changed since: treat as gone
        return saved, None


@login_not_required
@require_http_methods(["GET", "POST"])
def saved(request: HttpRequest, token: str) -> HttpResponse:
    saved_row, answers = _saved_answers(token)
    if saved_row is None or answers is None:
        return _gone(request)
    form = EmailForm(auto_id="id_email_%s")
    status = 200
    if request.method == "POST":
        form = EmailForm(request.POST, auto_id="id_email_%s")
        limited = form.is_valid() and _email_limited(request)
        if limited:
            form.add_error("email", _("Too many e-mails were sent from this connection. Try again in an hour."))
            status = 429
        if form.is_valid():
            _send(request, form, answers, token)
            return _see_other(reverse("rights:saved", args=[token]) + "?sent=1")
    context = _result_context(
        request,
        _evaluate(answers),
        saved_token=token,
        saved=saved_row,
        email_form=form,
        sent=request.GET.get("sent") == "1",
        link=request.build_absolute_uri(reverse("rights:saved", args=[token])),
        print_url=reverse("rights:saved_print", args=[token]),
    )
    return _no_store(render(request, "rights/result.html", context, status=status))


@login_not_required
@require_GET
def saved_print(request: HttpRequest, token: str) -> HttpResponse:
    saved_row, answers = _saved_answers(token)
    if saved_row is None or answers is None:
        return _gone(request)
    evaluation = _evaluate(answers)
    context = _context(
        request,
        evaluation=evaluation,
        groups=_groups(evaluation),
        back_url=reverse("rights:saved", args=[token]),
    )
    return _no_store(render(request, "rights/result_print.html", context))


@login_not_required
@require_POST
def saved_delete(request: HttpRequest, token: str) -> HttpResponse:
    saved_row = services.saved_evaluation_get(token)
    if saved_row is None:
        return _gone(request)
    services.saved_evaluation_delete(saved=saved_row, actor=request.user)
    return _no_store(render(request, "rights/deleted.html", _context(request)))
