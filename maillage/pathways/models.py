"""Case management: households, persons, consent, needs and plans, referrals, appointments,
journal, outcomes, transfers.

Privacy by design:
- ``__str__`` never shows a name (audit entries and logs keep only "Household #12");
- a household belongs to one organisation; others see it only through a referral, and only
  the items shared and allowed by consent (``permissions.py``);
- every read of a case is journalled (``audit_read``), and ``last_activity_at`` drives the
  automatic anonymisation (``services/gdpr.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

from . import enums


class _PrivateStorage(LazyObject):
    """Scanned documents: outside MEDIA/STATIC, served only by a view that checks the policy."""

    def _setup(self) -> None:
        self._wrapped = FileSystemStorage(location=settings.PATHWAYS_ATTACHMENTS_ROOT, base_url=None)


private_storage = _PrivateStorage()


class HouseholdQuerySet(models.QuerySet):
    def active(self) -> HouseholdQuerySet:
        return self.exclude(status__in=[enums.HouseholdStatus.MERGED, enums.HouseholdStatus.ANONYMISED])


class Household(models.Model):
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("organisation"),
    )
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referred_households",
        verbose_name=_("referent"),
    )
    name = models.CharField(_("household name"), max_length=200, help_text=_("Usually the family name."))
    status = models.CharField(
        _("status"), max_length=20, choices=enums.HouseholdStatus.choices, default=enums.HouseholdStatus.OPEN
    )
    living_place = models.CharField(
        _("living place"), max_length=20, choices=enums.LivingPlace.choices, default=enums.LivingPlace.OTHER
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    commune = models.ForeignKey(
        "territory.Commune",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune"),
    )
    domiciliation = models.CharField(
        _("domiciliation"), max_length=255, blank=True, help_text=_("Organisation giving the postal address, if any.")
    )
    living_site = models.ForeignKey(
        "living_sites.Site",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="households",
        verbose_name=_("living site"),
    )
    # A free reference, from before the Living sites module or for a place it does not record.
    living_site_ref = models.CharField(_("other living place"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [models.Index(fields=["organisation", "status"], name="household_org_status_idx")]

    def __str__(self) -> str:
        return f"Household #{self.pk}"


class PersonQuerySet(models.QuerySet):
    def current(self) -> PersonQuerySet:
        """Persons not merged into another one (a merged record stays only for the history)."""
        return self.filter(merged_into__isnull=True)


class Person(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    relation = models.CharField(
        _("relation"), max_length=20, choices=enums.Relation.choices, default=enums.Relation.REFERENCE
    )
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    aliases = ArrayField(
        models.CharField(max_length=150),
        default=list,
        blank=True,
        verbose_name=_("other names or spellings"),
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"), null=True, blank=True, help_text=_("When the exact date is not known.")
    )
    sex = models.CharField(_("sex"), max_length=10, choices=enums.Sex.choices, blank=True)
    languages = ArrayField(models.CharField(max_length=10), default=list, blank=True, verbose_name=_("languages"))
    french_level = models.CharField(_("French level"), max_length=10, choices=enums.FrenchLevel.choices, blank=True)
    residence_status = models.CharField(
        _("residence status"), max_length=30, choices=enums.ResidenceStatus.choices, blank=True
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_from"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # Lower-case, accent-free names and aliases, for the duplicate check (services/households.py).
    search_names = models.TextField(default="", editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [GinIndex(fields=["search_names"], name="person_names_trgm_idx", opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return f"Person #{self.pk}"

    @property
    def year_of_birth(self) -> int | None:
        return self.birth_date.year if self.birth_date else self.birth_year


class ResidenceDocument(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=30, choices=enums.DocumentKind.choices)
    reference = models.CharField(_("number"), max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True, db_index=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("residence document")
        verbose_name_plural = _("residence documents")

    def __str__(self) -> str:
        return f"Document #{self.pk}"


class Consent(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=enums.ConsentPurpose.choices)
    partner = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner organisation"),
    )
    given_on = models.DateField(_("given on"), default=timezone.localdate)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("collected by")
    )
    language = models.CharField(_("language of the explanation"), max_length=10)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(purpose="sharing") | models.Q(partner__isnull=False), name="consent_sharing_partner"
            )
        ]

    def __str__(self) -> str:
        return f"Consent #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None


class Need(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="needs")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="needs")
    domain = models.CharField(_("domain"), max_length=20, choices=enums.Domain.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=enums.NeedLevel.choices)
    note = models.TextField(_("note"), blank=True)
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")

    def __str__(self) -> str:
        return f"Need #{self.pk}"


class Goal(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="goals")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="goals")
    domain = models.CharField(_("domain"), max_length=20, choices=enums.Domain.choices)
    title = models.CharField(_("goal"), max_length=255)
    status = models.CharField(_("status"), max_length=20, choices=enums.GoalStatus.choices, default="open")
    due_on = models.DateField(_("due on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")

    def __str__(self) -> str:
        return f"Goal #{self.pk}"


class Action(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("action"), max_length=255)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pathway_actions",
        verbose_name=_("who acts (professional)"),
    )
    actor_label = models.CharField(
        _("who acts (other)"), max_length=200, blank=True, help_text=_("The person, a partner…")
    )
    due_on = models.DateField(_("due on"), null=True, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=enums.ActionStatus.choices, default="todo")
    blocker = models.TextField(_("blocker"), blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return f"Action #{self.pk}"


class Referral(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="referrals")
    from_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="referrals_sent"
    )
    to_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="referrals_received"
    )
    service = models.ForeignKey(
        "directory.Service", on_delete=models.PROTECT, related_name="referrals", verbose_name=_("service")
    )
    status = models.CharField(_("status"), max_length=20, choices=enums.ReferralStatus.choices, default="sent")
    shared = ArrayField(
        models.CharField(max_length=20, choices=enums.SharedItem.choices),
        default=list,
        blank=True,
        verbose_name=_("what is shared"),
    )
    message = models.TextField(_("message"), blank=True)
    refusal_reason = models.TextField(_("reason of the refusal"), blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["to_organisation", "status"], name="referral_to_status_idx")]

    def __str__(self) -> str:
        return f"Referral #{self.pk}"


class ReferralEvent(models.Model):
    """Each change of state of a referral, for its history and the delays."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=20, choices=enums.ReferralStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"Referral event #{self.pk}"


class Appointment(models.Model):
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=enums.AppointmentKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=enums.AppointmentStatus.choices, default="planned")
    title = models.CharField(_("title"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("place"), max_length=255, blank=True)
    living_site = models.ForeignKey(
        "living_sites.Site",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("living site"),
    )
    living_site_ref = models.CharField(_("other living place"), max_length=200, blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="pathway_appointments", verbose_name=_("staff")
    )
    households = models.ManyToManyField(Household, related_name="appointments", verbose_name=_("households"))
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="appt_order")]

    def __str__(self) -> str:
        return f"Appointment #{self.pk}"


class JournalEntry(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="journal")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sensitivity = models.CharField(_("sensitivity"), max_length=10, choices=enums.Sensitivity.choices)
    occurred_on = models.DateField(_("date"), default=timezone.localdate)
    text = models.TextField(_("text"))
    shared = models.BooleanField(
        _("shared with partners"), default=False, help_text=_("Visible to the organisations of active referrals.")
    )
    appointment = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-occurred_on", "-pk"]

    def __str__(self) -> str:
        return f"Journal entry #{self.pk}"


class Attachment(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    sensitivity = models.CharField(_("sensitivity"), max_length=10, choices=enums.Sensitivity.choices)
    file = models.FileField(_("file"), storage=private_storage, upload_to="%Y/%m/")  # type: ignore[arg-type]  # a lazy Storage
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"Attachment #{self.pk}"


class Outcome(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="outcomes")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="outcomes")
    kind = models.CharField(_("outcome"), max_length=30, choices=enums.OutcomeKind.choices)
    achieved_on = models.DateField(_("date"))
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # Kept after anonymisation, for the indicators: the organisation, the department, the year.
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")

    def __str__(self) -> str:
        return f"Outcome #{self.pk}"


class FollowUp(models.Model):
    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="follow_ups")
    months = models.PositiveSmallIntegerField(_("months after"))
    due_on = models.DateField(_("due on"), db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=enums.FollowUpStatus.choices, default="scheduled")
    situation = models.CharField(_("situation"), max_length=20, choices=enums.FollowUpSituation.choices, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [models.UniqueConstraint(fields=["outcome", "months"], name="followup_unique_months")]

    def __str__(self) -> str:
        return f"Follow-up #{self.pk}"


class Transfer(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="transfers")
    from_organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    to_organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=enums.TransferStatus.choices, default="requested")
    reason = models.TextField(_("reason"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")

    def __str__(self) -> str:
        return f"Transfer #{self.pk}"


class Notification(models.Model):
    """An in-app notice to a user (a referral received or answered, a document expiring…)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(_("text"), max_length=255)
    url = models.CharField(_("link"), max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return f"Notification #{self.pk}"


class AnonymisedCase(models.Model):
    """What remains of an anonymised household, for statistics: no name, no date of birth."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    department = models.CharField(max_length=3, blank=True)
    opened_year = models.PositiveSmallIntegerField()
    closed_year = models.PositiveSmallIntegerField(null=True, blank=True)
    members = models.PositiveSmallIntegerField()
    children = models.PositiveSmallIntegerField()
    anonymised_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Anonymised case #{self.pk}"
