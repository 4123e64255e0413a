"""The vocabularies of the questionnaire and of the results.

Residence status is the only question near nationality, and only because the rules need it.
No question about ethnicity or origin exists, and none may be added (docs/rights.md).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ResidenceStatus(models.TextChoices):
    FRENCH = "french", _("French citizen")
    EU_CITIZEN = "eu_citizen", _("Citizen of the EU, EEA or Switzerland")
    EU_FAMILY = "eu_family", _("Family member of an EU citizen")
    REFUGEE = "refugee", _("Refugee")
    SUBSIDIARY_PROTECTION = "subsidiary_protection", _("Subsidiary protection")
    STATELESS = "stateless", _("Stateless person")
    ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
    NO_PERMIT = "no_permit", _("No residence permit")


class Housing(models.TextChoices):
    STREET = "street", _("In the street")
    SHANTYTOWN = "shantytown", _("In a shantytown")
    SQUAT = "squat", _("In a squat")
    SHELTER = "shelter", _("In an emergency shelter")
    HOSTED = "hosted", _("Hosted by someone")
    RENTED = "rented", _("In a rented home")
    OWNER = "owner", _("In a home I own")


class HealthCover(models.TextChoices):
    NONE = "none", _("No health cover")
    PUMA = "puma", _("Health insurance (carte Vitale, PUMa)")
    CSS = "css", _("Complémentaire santé solidaire (CSS)")
    AME = "ame", _("State medical aid (AME)")


class FrenchLevel(models.TextChoices):
    NONE = "none", _("I do not speak French")
    BEGINNER = "beginner", _("A few words")
    INTERMEDIATE = "intermediate", _("I can manage in daily life")
    FLUENT = "fluent", _("I speak French well")


class Status(models.TextChoices):
    ELIGIBLE = "eligible", _("You can probably get it")
    MAYBE = "maybe", _("Maybe: to be checked")
    NOT_ELIGIBLE = "not_eligible", _("Probably not for now")


class Category(models.TextChoices):
    ADDRESS = "address", _("Address")
    HEALTH = "health", _("Health")
    SCHOOLING = "schooling", _("School and children")
    INCOME = "income", _("Money")
    HOUSING = "housing", _("Housing and shelter")
    INTEGRATION = "integration", _("Living in France")
    EMPLOYMENT = "employment", _("Work and training")
    JUSTICE = "justice", _("Legal help")


REGULAR_STATUSES = frozenset(
    {
        ResidenceStatus.FRENCH,
        ResidenceStatus.EU_CITIZEN,
        ResidenceStatus.EU_FAMILY,
        ResidenceStatus.REFUGEE,
        ResidenceStatus.SUBSIDIARY_PROTECTION,
        ResidenceStatus.STATELESS,
        ResidenceStatus.RESIDENCE_PERMIT,
    }
)
