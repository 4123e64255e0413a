"""Annual reviews: the archive of every generated version, the request of a new one and the
coordinator's texts (coordinators of the territory), a version's page and its PDF.

Every member reads the archived reviews of every territory (they are published documents, their
counts always suppressed). Only the coordinators of a territory (``can_coordinate``) ask for a
new version and write the texts of its sections; to the others these forms do not exist (404).
While a version is being generated its page shows the progress and polls itself every 2 seconds
with htmx (a full reload once it is finished), with a plain link for those without JavaScript.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.forms import add_service_errors
from maillage.core.http import query_without_page
from maillage.organisations.permissions import access_for
from maillage.pathways.pdf import pdf_response
from maillage.territory.models import Department, Region

from ..enums import TerritoryLevel
from ..models import Review, ReviewComment
from ..permissions import can_coordinate, can_view_indicators
from ..review import review_sections
from ..services.reviews import FIRST_YEAR, MAX_COMMENT, review_comment_set, review_request
from ..territories import Territory

PAGE_SIZE = 30


# --- Territories --------------------------------------------------------------------------------


def coordinated_territories(user: Any) -> list[Territory]:
    """The regions all of whose departments the user coordinates, then those departments."""
    coordinated = access_for(user).coordinated_departments
    if not coordinated:
        return []
    by_region: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    regions_of_user = set(Department.objects.filter(code__in=coordinated).values_list("region_id", flat=True))
    for code, name, region_id, region_name in Department.objects.filter(region_id__in=regions_of_user).values_list(
        "code", "name", "region_id", "region__name"
    ):
        by_region[region_id].add(code)
        names[code] = name
        names[f"region:{region_id}"] = region_name
    result = [
        Territory(TerritoryLevel.REGION, region, names[f"region:{region}"])
        for region, departments in sorted(by_region.items())
        if departments <= coordinated
    ]
    result += [Territory(TerritoryLevel.DEPARTMENT, code, names[code]) for code in sorted(coordinated) if code in names]
    return result


def _territory_names(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Names of (level, code) pairs of regions and departments, in two queries at most."""
    names: dict[tuple[str, str], str] = {}
    for level, model in ((TerritoryLevel.REGION, Region), (TerritoryLevel.DEPARTMENT, Department)):
        codes = [code for pair_level, code in pairs if pair_level == level]
        if codes:
            names.update({(str(level), c): n for c, n in model.objects.filter(pk__in=codes).values_list("pk", "name")})
    return names


def _parse_territory(text: str | None) -> Territory | None:
    try:
        return Territory.parse(text or "")
    except ValueError:
        return None


# --- Forms --------------------------------------------------------------------------------------


class ReviewRequestForm(forms.Form):
    territory = forms.ChoiceField(label=gettext_lazy("Territory"))
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=FIRST_YEAR)

    def __init__(self, *args: Any, territories: list[Territory], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.territories = {t.key: t for t in territories}
        self.fields["territory"].choices = [(t.key, str(t)) for t in territories]  # type: ignore[attr-defined]
        latest = timezone.localdate().year
        year = self.fields["year"]
        year.validators.append(MaxValueValidator(latest))
        year.widget.attrs["max"] = latest
        self.initial.setdefault("year", latest - 1)

    def clean_territory(self) -> Territory:
        return self.territories[self.cleaned_data["territory"]]


class ReviewCommentsForm(forms.Form):
    def __init__(self, *args: Any, texts: dict[str, str], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for key, label in review_sections():
            self.fields[key] = forms.CharField(
                label=label,
                required=False,
                max_length=MAX_COMMENT,
                initial=texts.get(key, ""),
                widget=forms.Textarea(attrs={"rows": 6}),
            )


# --- Views --------------------------------------------------------------------------------------


def reviews(request: HttpRequest) -> HttpResponse:
    if not can_view_indicators(request.user):
        raise Http404
    territories = coordinated_territories(request.user)
    form = None
    if territories:
        form = ReviewRequestForm(request.POST or None, territories=territories)
        if request.method == "POST" and form.is_valid():
            territory = form.cleaned_data["territory"]
            if not can_coordinate(request.user, territory):
                raise Http404
            try:
                review = review_request(actor=request.user, territory=territory, year=form.cleaned_data["year"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if review.status == Review.Status.FAILED:
                    messages.error(request, _("The review could not be generated."))
                else:
                    messages.success(
                        request,
                        _("Version %(version)s of the review has been requested.") % {"version": review.version},
                    )
                return redirect("indicators:review_detail", review.pk)
    elif request.method == "POST":
        raise Http404

    listed = Review.objects.defer("html", "pdf").select_related("created_by")
    chosen = _parse_territory(request.GET.get("territory"))
    if chosen is not None:
        listed = listed.filter(territory_level=chosen.level, territory_code=chosen.code)
    if (year := request.GET.get("year", "")).isdigit():
        listed = listed.filter(year=int(year))
    listed = listed.order_by("territory_level", "territory_code", "-year", "-version")
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    names = _territory_names({(r.territory_level, r.territory_code) for r in rows})
    for row in rows:
        row.territory_name = names.get((row.territory_level, row.territory_code), row.territory_code)
    return render(
        request,
        "indicators/reviews/list.html",
        {
            "page": page,
            "rows": rows,
            "form": form,
            "territories": territories,
            "query": query_without_page(request),
            "chosen": chosen,
        },
        status=400 if form is not None and form.errors else 200,
    )


def _review_or_404(request: HttpRequest, pk: int, *, pdf: bool = False) -> Review:
    if not can_view_indicators(request.user):
        raise Http404
    queryset = Review.objects.select_related("created_by")
    review = (queryset if pdf else queryset.defer("pdf")).filter(pk=pk).first()
    if review is None:
        raise Http404
    return review


def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk)
    finished = review.status in (Review.Status.DONE, Review.Status.FAILED)
    if request.headers.get("HX-Request") == "true" and finished:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"  # the whole page, now with the review
        return response
    territory = Territory(
        review.territory_level,
        review.territory_code,
        _territory_names({(review.territory_level, review.territory_code)}).get(
            (review.territory_level, review.territory_code), ""
        ),
    )
    versions = list(
        Review.objects.defer("html", "pdf")
        .filter(territory_level=review.territory_level, territory_code=review.territory_code, year=review.year)
        .exclude(pk=review.pk)
        .order_by("-version")
    )
    comments_url = None
    if can_coordinate(request.user, territory):
        comments_url = (
            reverse("indicators:review_comments")
            + "?"
            + urlencode({"territory": territory.key, "year": str(review.year)})
        )
    return render(
        request,
        "indicators/reviews/detail.html",
        {
            "review": review,
            "territory": territory,
            "finished": finished,
            "versions": versions,
            "comments_url": comments_url,
        },
    )


def review_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_or_404(request, pk, pdf=True)
    if review.status != Review.Status.DONE or not review.pdf:
        raise Http404
    filename = f"review-{review.territory_level}-{review.territory_code}-{review.year}-v{review.version}.pdf"
    return pdf_response(bytes(review.pdf), filename)


def review_comments(request: HttpRequest) -> HttpResponse:
    territory = _parse_territory(request.GET.get("territory"))
    year_text = request.GET.get("year", "")
    if territory is None or not year_text.isdigit() or not can_coordinate(request.user, territory):
        raise Http404
    year = int(year_text)
    texts = {
        c.section: c.text
        for c in ReviewComment.objects.filter(
            territory_level=territory.level, territory_code=territory.code, year=year
        ).only("section", "text")
    }
    form = ReviewCommentsForm(request.POST or None, texts=texts)
    if request.method == "POST" and form.is_valid():
        changed = [
            key for key, _label in review_sections() if form.cleaned_data[key].strip() != texts.get(key, "").strip()
        ]
        try:
            with transaction.atomic():
                for key in changed:
                    review_comment_set(
                        actor=request.user, territory=territory, year=year, section=key, text=form.cleaned_data[key]
                    )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if changed:
                messages.success(request, _("The texts of the review have been saved."))
            else:
                messages.info(request, _("Nothing has changed."))
            return redirect(request.get_full_path())
    return render(
        request,
        "indicators/reviews/comments.html",
        {"form": form, "territory": territory, "year": year},
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("reviews/", reviews, name="reviews"),
    path("reviews/texts/", review_comments, name="review_comments"),
    path("reviews/<int:pk>/", review_detail, name="review_detail"),
    path("reviews/<int:pk>/pdf/", review_pdf, name="review_pdf"),
]
