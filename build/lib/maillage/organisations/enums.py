from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    STATE_SERVICE = "state_service", _("State service")
    LOCAL_AUTHORITY = "local_authority", _("Local authority")
    ASSOCIATION = "association", _("Association")
    SOCIAL_LANDLORD = "social_landlord", _("Social landlord")
    SOCIAL_PROTECTION = "social_protection", _("Social security body")
    EMPLOYMENT_SERVICE = "employment_service", _("Public employment service")
    HEALTH = "health", _("Health")
    SCHOOL = "school", _("School or training body")
    EMPLOYER = "employer", _("Employer")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    """Roles of a member in an organisation, from the widest to the narrowest."""

    ADMIN = "admin", _("Platform administrator")
    COORDINATOR = "coordinator", _("Territory coordinator")
    MANAGER = "manager", _("Organisation manager")
    PROFESSIONAL = "professional", _("Professional / referent")
    VOLUNTEER = "volunteer", _("Volunteer / mediator")
    PARTNER = "partner", _("Read-only partner")


# Roles whose holders must log in with a second factor.
TWO_FACTOR_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})
