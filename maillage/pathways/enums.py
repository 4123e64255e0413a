"""Vocabularies of case management (Pathways).

No value here describes ethnicity or origin, and none may be added: a person is described by
their residence status (needed by the rules of rights), languages and French level only.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.rights.enums import ResidenceStatus  # noqa: F401 - re-exported for the forms


class HouseholdStatus(models.TextChoices):
    OPEN = "open", _("Followed")
    CLOSED = "closed", _("Follow-up ended")
    TRANSFERRED = "transferred", _("Transferred")
    MERGED = "merged", _("Merged into another household")
    ANONYMISED = "anonymised", _("Anonymised")


class LivingPlace(models.TextChoices):
    ADDRESS = "address", _("Own or rented home")
    HOSTED = "hosted", _("Hosted by someone")
    SHELTER = "shelter", _("Shelter")
    LIVING_SITE = "living_site", _("Shantytown, squat or living site")
    STREET = "street", _("Street")
    OTHER = "other", _("Other")


class Relation(models.TextChoices):
    REFERENCE = "reference", _("Reference person")
    PARTNER = "partner", _("Partner")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Brother or sister")
    OTHER = "other", _("Other relative or person")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "", _("Not given")


class FrenchLevel(models.TextChoices):
    NONE = "none", _("None")
    A1 = "a1", _("A1 (beginner)")
    A2 = "a2", _("A2 (elementary)")
    B1 = "b1", _("B1 (intermediate)")
    B2 = "b2", _("B2 or more")


class DocumentKind(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    ID_CARD = "id_card", _("Identity card")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
    RECEIPT = "receipt", _("Receipt of an application (récépissé)")
    ASYLUM_CERTIFICATE = "asylum_certificate", _("Asylum application certificate")
    DOMICILIATION = "domiciliation", _("Domiciliation certificate")
    HEALTH_COVER = "health_cover", _("Health cover certificate")
    OTHER = "other", _("Other")


class ConsentPurpose(models.TextChoices):
    FOLLOW_UP = "follow_up", _("Follow-up by this organisation")
    SHARING = "sharing", _("Sharing with a named partner organisation")
    SMS = "sms", _("Contact by text message")
    STATISTICS = "statistics", _("Use in anonymised statistics")


class Domain(models.TextChoices):
    LANGUAGE = "language", _("Language")
    RIGHTS = "rights", _("Access to rights")
    EMPLOYMENT = "employment", _("Employment and training")
    HOUSING = "housing", _("Housing")
    HEALTH = "health", _("Health")
    EDUCATION = "education", _("Education and schooling")
    CITIZENSHIP = "citizenship", _("Citizenship and integration contract")
    MOBILITY = "mobility", _("Mobility")
    CHILDCARE = "childcare", _("Childcare")


class NeedLevel(models.IntegerChoices):
    NONE = 0, _("No need")
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class GoalStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    ACHIEVED = "achieved", _("Achieved")
    ABANDONED = "abandoned", _("Abandoned")


class ActionStatus(models.TextChoices):
    TODO = "todo", _("To do")
    IN_PROGRESS = "in_progress", _("In progress")
    BLOCKED = "blocked", _("Blocked")
    DONE = "done", _("Done")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    ABANDONED = "abandoned", _("Abandoned")


# Allowed moves of a referral: anything else is refused.
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralStatus.SENT: frozenset({ReferralStatus.ACCEPTED, ReferralStatus.REFUSED, ReferralStatus.ABANDONED}),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.IN_PROGRESS, ReferralStatus.DONE, ReferralStatus.ABANDONED}),
    ReferralStatus.IN_PROGRESS: frozenset({ReferralStatus.DONE, ReferralStatus.ABANDONED}),
    ReferralStatus.REFUSED: frozenset(),
    ReferralStatus.DONE: frozenset(),
    ReferralStatus.ABANDONED: frozenset(),
}
# While a referral is in one of these, the receiving organisation sees what was shared.
REFERRAL_SHARING_STATUSES = frozenset({ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS})


class SharedItem(models.TextChoices):
    """What a referral may share with the receiving organisation (chosen at sending)."""

    IDENTITY = "identity", _("Names, ages and household members")
    CONTACTS = "contacts", _("Contacts and living place")
    DOCUMENTS = "documents", _("Residence status and documents")
    NEEDS = "needs", _("Needs assessment")
    PLAN = "plan", _("Plan: goals and actions")
    JOURNAL = "journal", _("Journal entries marked as shared")


class Sensitivity(models.TextChoices):
    GENERAL = "general", _("General")
    SOCIAL = "social", _("Social")
    HEALTH = "health", _("Health")
    JUSTICE = "justice", _("Justice")


class AppointmentKind(models.TextChoices):
    OFFICE = "office", _("Office appointment")
    PHONE = "phone", _("Phone call")
    HOME_VISIT = "home_visit", _("Home visit")
    WORKSHOP = "workshop", _("Group workshop")


class AppointmentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Took place")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class OutcomeKind(models.TextChoices):
    JOB_PERMANENT = "job_permanent", _("Job: permanent contract (CDI)")
    JOB_FIXED_TERM = "job_fixed_term", _("Job: fixed-term contract (CDD) of 6 months or more")
    JOB_SHORT = "job_short", _("Job: short contract or temping")
    JOB_INSERTION = "job_insertion", _("Job: integration through work (IAE)")
    SELF_EMPLOYED = "self_employed", _("Self-employment")
    TRAINING = "training", _("Vocational training")
    HOUSING = "housing", _("Housing (social or private)")
    INTERMEDIATE_HOUSING = "intermediate_housing", _("Intermediate housing or insertion site")
    FRENCH_LEVEL = "french_level", _("French level gained")
    CIR_SIGNED = "cir_signed", _("Republican integration contract signed")
    SCHOOL_ENROLMENT = "school_enrolment", _("School enrolment")
    RIGHTS_OPENED = "rights_opened", _("Rights opened (health cover, benefits…)")


FOLLOW_UP_MONTHS = (3, 6, 12)


class FollowUpStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Done")
    LOST = "lost", _("Lost contact")


class FollowUpSituation(models.TextChoices):
    SAME = "same", _("Still in the same situation")
    IMPROVED = "improved", _("Better situation")
    WORSE = "worse", _("Lost it")
    UNKNOWN = "unknown", _("Unknown")


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")
