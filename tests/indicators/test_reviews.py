"""Annual reviews: the job (HTML, PDF, progress, failure), versions, texts per section, the
policy, suppression in the document, the PDF drawn by pdftoppm with its charts, the list's queries."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from maillage.audit.models import AuditEntry
from maillage.indicators import enums, review
from maillage.indicators.models import Review, ReviewComment
from maillage.indicators.services.reviews import review_comment_set, review_request
from maillage.indicators.territories import Territory
from maillage.organisations.enums import Role
from tests.conftest import verified_login
from tests.organisations.factories import OrganisationFactory, member

from .factories import AggregateValueFactory, IndicatorFactory, ReviewCommentFactory, ReviewFactory

pytestmark = pytest.mark.django_db

PDFTOPPM = shutil.which("pdftoppm") or ("/usr/bin/pdftoppm" if Path("/usr/bin/pdftoppm").exists() else None)
REGION = Territory(enums.TerritoryLevel.REGION, "32", "Hauts-de-France")
HDF = ["02", "59", "60", "62", "80"]


@pytest.fixture
def coordinator() -> Any:
    return member(Role.COORDINATOR, OrganisationFactory(departments=HDF), user__language="en")


@pytest.fixture
def figures() -> dict[str, Any]:
    """Two domains of region 32: CIR signatures (with a target and departments, one of them
    small) and a share, over 2024 and 2025."""
    cir = IndicatorFactory(
        code="cir_signed", name_en="CIR signed", unit=enums.Unit.COUNT, domain=enums.Domain.LANGUAGE, position=1
    )
    share = IndicatorFactory(
        code="a1_share",
        name_en="Share reaching A1",
        unit=enums.Unit.PERCENT,
        domain=enums.Domain.LANGUAGE,
        aggregation=enums.Aggregation.AVERAGE,
        position=2,
    )
    places = IndicatorFactory(
        code="cph_places", name_en="CPH places created", unit=enums.Unit.COUNT, domain=enums.Domain.HOUSING
    )
    region = {"territory_level": enums.TerritoryLevel.REGION, "territory_code": "32"}
    for year, actual, target in ((2023, 4800, 5000), (2024, 5053, 5000), (2025, 5915, 5500)):
        AggregateValueFactory(indicator=cir, period_start=date(year, 1, 1), value=actual, **region)
        AggregateValueFactory(
            indicator=cir, period_start=date(year, 1, 1), value=target, kind=enums.ValueKind.TARGET, **region
        )
    AggregateValueFactory(indicator=share, period_start=date(2025, 1, 1), value="48.50", **region)
    AggregateValueFactory(indicator=places, period_start=date(2024, 1, 1), value=447, **region)
    AggregateValueFactory(indicator=places, period_start=date(2025, 1, 1), value=91, **region)
    # By department: 59 counts 3 (hidden, "< 5"), and its sum with the others is the region's.
    for code, value in (("02", 900), ("59", 3), ("60", 1500), ("62", 2012), ("80", 1500)):
        AggregateValueFactory(indicator=cir, territory_code=code, period_start=date(2025, 1, 1), value=value)
    # By sex: 2462 women, 3453 men.
    for part, value in (("female", 2462), ("male", 3453)):
        AggregateValueFactory(
            indicator=cir, breakdown=f"sex={part}", period_start=date(2025, 1, 1), value=value, **region
        )
    return {"cir": cir, "share": share, "places": places}


def _build(coordinator: Any, year: int = 2025) -> Review:
    queued = ReviewFactory(year=year, created_by=coordinator, version=1)
    built = review.review_build(queued.pk)
    assert built is not None
    return built


# --- The job ----------------------------------------------------------------------------------


def test_job_builds_html_and_pdf(coordinator: Any, figures: Any) -> None:
    ReviewCommentFactory(section="context", text="The regional steering committee met twice.")
    ReviewCommentFactory(section=enums.Domain.LANGUAGE, text="More hours of French are needed.")
    built = _build(coordinator)

    assert built.status == Review.Status.DONE and built.progress == 100 and built.finished_at
    html = built.html
    assert "Hauts-de-France" in html and "Review 2025" in html and "Version" in html
    assert "CIR signed" in html and "5,915" in html and "48.50 %" not in html and "48.5 %" in html
    assert "CPH places created" in html
    # Achievement of the target: 5915 / 5500 = 108 %, met.
    assert "108 %" in html and "Target met" in html
    # The coordinator's texts, each in its section.
    context = html.index('id="review-context"')
    language = html.index('id="review-language"')
    assert context < html.index("The regional steering committee met twice.") < language
    assert language < html.index("More hours of French are needed.")
    # The charts: inline SVG (not "ns0:svg", which nothing draws), with their data tables.
    assert html.count("<svg") == 2 and "ns0:" not in html
    assert "Data of the chart" in html and "CIR signed, 2023–2025" in html
    assert "Actual, 2025: 5915" in html and "Target, 2025: 5500" in html
    # No inline style nor script (the page's CSP).
    assert "<style" not in html and "<script" not in html and ' style="' not in html
    pdf = bytes(built.pdf)
    assert pdf.startswith(b"%PDF")


def test_progress_is_written_along_the_way(coordinator: Any, figures: Any, monkeypatch: Any) -> None:
    seen = []
    real_pdf = review.review_pdf

    def spy(html: str, *, title: str) -> bytes:
        current = Review.objects.get()
        seen.append((current.status, current.progress))
        return real_pdf(html, title=title)

    monkeypatch.setattr(review, "review_pdf", spy)
    built = _build(coordinator)
    assert seen == [(Review.Status.RUNNING, 50)]
    assert (built.status, built.progress) == (Review.Status.DONE, 100)


def test_job_runs_once(coordinator: Any, figures: Any) -> None:
    built = _build(coordinator)
    assert review.review_build(built.pk) is None


def test_failure_is_recorded(coordinator: Any, monkeypatch: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(review, "review_document", broken)
    built = _build(coordinator)
    assert built.status == Review.Status.FAILED
    assert "RuntimeError" in built.error and not built.html and not built.pdf


def test_review_without_figures_still_builds(coordinator: Any) -> None:
    built = _build(coordinator, year=2020)
    assert built.status == Review.Status.DONE
    assert "No value for this territory." in built.html


# --- Suppression ------------------------------------------------------------------------------


def test_small_counts_are_hidden_in_the_review(coordinator: Any, figures: Any) -> None:
    html = _build(coordinator).html
    annex = html[html.index("By department, 2025") :]
    row = annex[annex.index("CIR signed") : annex.index("</tr>", annex.index("CIR signed"))]
    # 59 counts 3: hidden as "< 5"; a second department is hidden ("s") so that the region's
    # total does not give it back.
    assert "&lt; 5" in row and ">s<" in row
    assert ">3<" not in row
    assert ">900<" not in row  # the smallest other department is the one hidden
    assert "5,915" in row  # the region's total stays
    assert "Statistical confidentiality" in html and "2 values are hidden" in html


def test_suppression_applies_to_the_key_figures_and_the_charts(coordinator: Any) -> None:
    small = IndicatorFactory(code="copil", name_en="Steering committees", unit=enums.Unit.COUNT, position=1)
    region = {"territory_level": enums.TerritoryLevel.REGION, "territory_code": "32"}
    AggregateValueFactory(indicator=small, period_start=date(2023, 1, 1), value=12, **region)
    AggregateValueFactory(indicator=small, period_start=date(2024, 1, 1), value=1, **region)
    AggregateValueFactory(indicator=small, period_start=date(2025, 1, 1), value=2, **region)
    AggregateValueFactory(
        indicator=small, period_start=date(2025, 1, 1), value=2, kind=enums.ValueKind.TARGET, **region
    )
    html = _build(coordinator).html
    section = html[html.index('id="review-language"') : html.index('id="review-conclusion"')]
    key_row = section[
        section.index("Steering committees") : section.index("</tr>", section.index("Steering committees"))
    ]
    # Actual values hidden, the target shown, no rate of achievement nor assessment (they would tell).
    assert key_row.count("&lt; 5") == 2 and ">2<" in key_row
    assert "Target met" not in key_row and "%" not in key_row
    data = section[section.index("Data of the chart") :]
    assert ">12<" in data and ">1<" not in data and data.count("&lt; 5") == 2
    chart = section[section.index("<svg") : section.index("</svg>")]
    assert "Actual, 2023: 12" in chart and "Target, 2025: 2" in chart
    assert "Actual, 2024" not in chart and "Actual, 2025" not in chart


# --- Service: versions and texts ----------------------------------------------------------------


def test_each_request_is_a_new_archived_version(coordinator: Any, figures: Any) -> None:
    first = review_request(actor=coordinator, territory=REGION, year=2025)
    second = review_request(actor=coordinator, territory=REGION, year=2025)
    assert (first.version, second.version) == (1, 2)
    assert first.status == second.status == Review.Status.DONE  # INDICATORS_REVIEW_INLINE
    assert Review.objects.count() == 2 and Review.objects.get(pk=first.pk).pdf
    assert AuditEntry.objects.filter(object_type="indicators.review").count() == 2


def test_request_defers_the_job(coordinator: Any, settings: Any) -> None:
    from procrastinate.contrib.django.models import ProcrastinateJob

    settings.INDICATORS_REVIEW_INLINE = False
    queued = review_request(actor=coordinator, territory=REGION, year=2025)
    assert queued.status == Review.Status.QUEUED
    job = ProcrastinateJob.objects.get(task_name__endswith="generate_review")
    assert job.args == {"review_id": queued.pk}


def test_request_refuses_a_bad_year(coordinator: Any) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        review_request(actor=coordinator, territory=REGION, year=1990)
    assert "year" in caught.value.message_dict
    assert not Review.objects.exists()


def test_comment_set_creates_updates_and_logs(coordinator: Any) -> None:
    review_comment_set(actor=coordinator, territory=REGION, year=2025, section="context", text="First.")
    review_comment_set(actor=coordinator, territory=REGION, year=2025, section="context", text="Second.")
    review_comment_set(actor=coordinator, territory=REGION, year=2025, section="context", text="Second.")
    assert ReviewComment.objects.get().text == "Second."
    assert AuditEntry.objects.filter(object_type="indicators.reviewcomment").count() == 2


def test_comment_set_refuses_an_unknown_section(coordinator: Any) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        review_comment_set(actor=coordinator, territory=REGION, year=2025, section="nowhere", text="x")
    assert not ReviewComment.objects.exists()


# --- Pages and policy -----------------------------------------------------------------------------


def test_coordinator_requests_a_review_from_the_list(client: Any, coordinator: Any, figures: Any) -> None:
    verified_login(client, coordinator)
    page = client.get(reverse("indicators:reviews"))
    assert page.status_code == 200 and b"Generate a new version" in page.content
    response = client.post(reverse("indicators:reviews"), {"territory": "region:32", "year": "2025"})
    created = Review.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "indicators:review_detail", args=[created.pk]
    )
    detail = client.get(response["Location"])
    content = detail.content.decode()
    assert detail.status_code == 200 and "CIR signed" in content and "Download the PDF" in content
    assert "<svg" in content and "<style" not in content and ' style="' not in content
    pdf = client.get(reverse("indicators:review_pdf", args=[created.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_a_coordinator_of_one_department_cannot_request_the_region(client: Any) -> None:
    user = member(Role.COORDINATOR, OrganisationFactory(departments=["59"]), user__language="en")
    verified_login(client, user)
    response = client.post(reverse("indicators:reviews"), {"territory": "region:32", "year": "2025"})
    assert response.status_code == 400 and not Review.objects.exists()
    response = client.get(reverse("indicators:review_comments"), {"territory": "region:32", "year": "2025"})
    assert response.status_code == 404
    assert (
        client.get(reverse("indicators:review_comments"), {"territory": "department:59", "year": "2025"}).status_code
        == 200
    )


def test_other_members_read_but_neither_request_nor_write(client: Any, coordinator: Any, figures: Any) -> None:
    built = _build(coordinator)
    reader = member(Role.PROFESSIONAL, OrganisationFactory(departments=["59"]), user__language="en")
    client.force_login(reader)
    page = client.get(reverse("indicators:reviews"))
    assert page.status_code == 200 and b"Generate a new version" not in page.content
    assert b"Hauts-de-France" in page.content
    assert client.get(reverse("indicators:review_detail", args=[built.pk])).status_code == 200
    assert client.get(reverse("indicators:review_pdf", args=[built.pk])).status_code == 200
    assert client.post(reverse("indicators:reviews"), {"territory": "region:32", "year": "2025"}).status_code == 404
    texts = reverse("indicators:review_comments")
    assert client.get(texts, {"territory": "region:32", "year": "2025"}).status_code == 404
    assert client.post(texts + "?territory=region:32&year=2025", {"context": "x"}).status_code == 404
    assert Review.objects.count() == 1 and not ReviewComment.objects.exists()


def test_a_user_without_organisation_sees_nothing(client: Any, coordinator: Any, figures: Any) -> None:
    from tests.accounts.factories import UserFactory

    built = _build(coordinator)
    client.force_login(UserFactory())
    assert client.get(reverse("indicators:reviews")).status_code == 404
    assert client.get(reverse("indicators:review_detail", args=[built.pk])).status_code == 404
    assert client.get(reverse("indicators:review_pdf", args=[built.pk])).status_code == 404


def test_texts_page_saves_each_section(client: Any, coordinator: Any, figures: Any) -> None:
    verified_login(client, coordinator)
    url = reverse("indicators:review_comments") + "?territory=region:32&year=2025"
    page = client.get(url)
    assert page.status_code == 200 and b"Shantytowns and squats" in page.content
    response = client.post(url, {"context": "Context text.", "housing": "Housing text.", "conclusion": ""})
    assert response.status_code == 302
    assert dict(ReviewComment.objects.values_list("section", "text")) == {
        "context": "Context text.",
        "housing": "Housing text.",
    }
    client.post(reverse("indicators:reviews"), {"territory": "region:32", "year": "2025"})
    html = Review.objects.get().html
    assert html.index('id="review-housing"') < html.index("Housing text.")


def test_texts_too_long_are_refused(client: Any, coordinator: Any) -> None:
    verified_login(client, coordinator)
    url = reverse("indicators:review_comments") + "?territory=region:32&year=2025"
    response = client.post(url, {"context": "x" * 20001})
    assert response.status_code == 400 and not ReviewComment.objects.exists()


def test_progress_page_polls_until_finished(client: Any, coordinator: Any) -> None:
    queued = ReviewFactory(created_by=coordinator)
    verified_login(client, coordinator)
    url = reverse("indicators:review_detail", args=[queued.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'hx-trigger="every 2s"' in page.content and b"Refresh this page" in page.content
    assert client.get(reverse("indicators:review_pdf", args=[queued.pk])).status_code == 404
    Review.objects.filter(pk=queued.pk).update(status=Review.Status.RUNNING, progress=30)
    assert b'value="30"' in client.get(url).content
    Review.objects.filter(pk=queued.pk).update(status=Review.Status.DONE, progress=100, html="<article>done</article>")
    polled = client.get(url, headers={"HX-Request": "true"})
    assert polled.status_code == 204 and polled["HX-Refresh"] == "true"


def test_detail_lists_the_other_versions(client: Any, coordinator: Any) -> None:
    ReviewFactory(version=1, status=Review.Status.DONE)
    second = ReviewFactory(version=2, status=Review.Status.DONE)
    client.force_login(coordinator)
    verified_login(client, coordinator)
    content = client.get(reverse("indicators:review_detail", args=[second.pk])).content.decode()
    assert "Other versions" in content and "Version 1" in content


def test_list_queries_do_not_grow_with_rows(client: Any, coordinator: Any, django_assert_num_queries: Any) -> None:
    verified_login(client, coordinator)
    url = reverse("indicators:reviews")
    ReviewFactory(version=1, created_by=coordinator)
    ReviewFactory(territory_level=enums.TerritoryLevel.DEPARTMENT, territory_code="80", version=1)
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    ReviewFactory(version=2, created_by=coordinator)
    ReviewFactory(version=3)
    ReviewFactory(territory_level=enums.TerritoryLevel.DEPARTMENT, territory_code="59", version=1)
    ReviewFactory(territory_level=enums.TerritoryLevel.DEPARTMENT, territory_code="62", version=1)
    with django_assert_num_queries(len(two.captured_queries)):
        response = client.get(url)
    content = response.content.decode()
    assert "Nord" in content and "Pas-de-Calais" in content and content.count("Hauts-de-France") >= 3


# --- The PDF, drawn ---------------------------------------------------------------------------------


@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) is not installed")
def test_pdf_pages_render_with_their_charts(coordinator: Any, figures: Any, tmp_path: Path) -> None:
    source = tmp_path / "review.pdf"
    source.write_bytes(bytes(_build(coordinator).pdf))
    command = [str(PDFTOPPM), "-r", "40", "-png", str(source), str(tmp_path / "page")]
    subprocess.run(command, check=True)  # noqa: S603 - a fixed program on a file of the test
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 5  # cover, contents, summary and context, two domains, conclusion, annexes

    def pixels_near(path: Path, colour: tuple[int, int, int]) -> int:
        image = Image.open(path).convert("RGB")
        return sum(
            1
            for pixel in image.get_flattened_data()
            if all(abs(channel - ref) <= 40 for channel, ref in zip(pixel, colour, strict=True))
        )

    # The cover is not blank.
    cover = Image.open(pages[0]).convert("L")
    assert cover.getextrema()[0] < 128
    # The charts are drawn: the second series (the target of the CIR signed, in the colour
    # #b3400b) colours pixels on some page; nothing else in the document has that colour.
    assert max(pixels_near(page, (0xB3, 0x40, 0x0B)) for page in pages) > 30
