"""Lists of values of the directory.

The data·inclusion vocabularies (thématiques, types de service, frais, publics, modes
d'accueil and de mobilisation) come from the `data-inclusion-schema` package itself, so an
import or export always speaks the national schema; only Maillage's own lists are written here.
"""

from data_inclusion.schema import v1
from django.db import models
from django.utils.translation import gettext_lazy as _


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in enum]  # type: ignore[attr-defined]


THEMATIQUE_CHOICES = _choices(v1.Thematique)
CATEGORIE_CHOICES = _choices(v1.Categorie)
TYPE_SERVICE_CHOICES = _choices(v1.TypeService)
FRAIS_CHOICES = _choices(v1.Frais)
PUBLIC_CHOICES = _choices(v1.Public)
MODE_ACCUEIL_CHOICES = _choices(v1.ModeAccueil)
MODE_MOBILISATION_CHOICES = _choices(v1.ModeMobilisation)
PERSONNE_MOBILISATRICE_CHOICES = _choices(v1.PersonneMobilisatrice)
RESEAU_PORTEUR_CHOICES = _choices(v1.ReseauPorteur)

THEMATIQUE_LABELS = dict(THEMATIQUE_CHOICES)

# Source name of the entries written in Maillage (imports keep their own source).
LOCAL_SOURCE = "maillage"


class ServiceKind(models.TextChoices):
    GENERAL = "general", _("Service")
    FRENCH_COURSE = "french_course", _("French-language course")


class CourseType(models.TextChoices):
    LITERACY = "alphabetisation", _("Literacy (alphabétisation)")
    FLE = "fle", _("French as a foreign language (FLE)")
    FLI = "fli", _("French as an integration language (FLI)")
    OFII_CIR = "ofii_cir", _("Republican integration contract course (OFII)")


class FrenchLevel(models.TextChoices):
    A0 = "A0", "A0"
    A1_1 = "A1.1", "A1.1"
    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"


class ReferentRole(models.TextChoices):
    INTEGRATION = "integration", _("Departmental integration referent")
    ROMA_INCLUSION = "roma_inclusion", _("Roma inclusion correspondent")
    SHANTYTOWN_RESORPTION = "resorption", _("Shantytown resorption referent")
    SCHOOLING = "schooling", _("Schooling mediator or referent")
    HEALTH_MEDIATION = "health", _("Health mediator")
    EMPLOYMENT = "employment", _("Employment counsellor")
    DOMICILIATION = "domiciliation", _("Domiciliation referent")
    OTHER = "other", _("Other")


class EvidenceLevel(models.TextChoices):
    PROMISING = "promising", _("Promising")
    REPLICATED = "replicated", _("Replicated elsewhere")
    EVALUATED = "evaluated", _("Evaluated")


# Languages that services may declare (ISO 639-1/3 codes), the ones named by the seeds first.
LANGUAGE_CHOICES = [
    ("fr", _("French")),
    ("ro", _("Romanian")),
    ("bg", _("Bulgarian")),
    ("rom", _("Romani")),
    ("ar", _("Arabic")),
    ("prs", _("Dari")),
    ("ps", _("Pashto")),
    ("uk", _("Ukrainian")),
    ("ru", _("Russian")),
    ("en", _("English")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("tr", _("Turkish")),
    ("sq", _("Albanian")),
    ("ka", _("Georgian")),
    ("ti", _("Tigrinya")),
    ("so", _("Somali")),
    ("lsf", _("French sign language")),
]
LANGUAGE_LABELS = dict(LANGUAGE_CHOICES)
