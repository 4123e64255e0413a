from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivingSitesConfig(AppConfig):
    name = "maillage.living_sites"
    label = "living_sites"
    verbose_name = _("Living sites")
    default_auto_field = "django.db.models.BigAutoField"
