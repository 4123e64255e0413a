"""French administrative referential: regions, departments, EPCI and communes.

Rows are loaded from ``data/territory.json.gz`` by ``manage.py load_territory``;
the application never edits them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from maillage.territory.text import normalize_search


class Region(models.Model):
    code = models.CharField(_("INSEE code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    code = models.CharField(_("INSEE code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="departments",
        verbose_name=_("region"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class EPCI(models.Model):
    class Kind(models.TextChoices):
        CC = "CC", _("Community of communes")
        CA = "CA", _("Agglomeration community")
        CU = "CU", _("Urban community")
        METRO = "METRO", _("Metropolis")
        MET69 = "MET69", _("Lyon Metropolis")

    code = models.CharField(_("SIREN"), max_length=9, primary_key=True)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta:
        ordering = ["name"]
        verbose_name = _("EPCI")
        verbose_name_plural = _("EPCI")

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    code = models.CharField(_("INSEE code"), max_length=5, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="communes",
        verbose_name=_("department"),
    )
    epci = models.ForeignKey(
        EPCI,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="communes",
        verbose_name=_("EPCI"),
    )
    postal_codes = ArrayField(models.CharField(max_length=5), default=list, blank=True, verbose_name=_("postal codes"))
    population = models.IntegerField(_("population"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    coordinates_approximate = models.BooleanField(
        _("approximate coordinates"),
        default=False,
        help_text=_("Coordinates estimated from neighbouring communes, not from GeoNames."),
    )
    search_name = models.CharField(
        _("search name"),
        max_length=100,
        editable=False,
        help_text=_("Lowercased name without accents, hyphens or apostrophes."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        indexes = [
            GinIndex(
                fields=["search_name"],
                opclasses=["gin_trgm_ops"],
                name="territory_commune_search_trgm",
            ),
            GinIndex(fields=["postal_codes"], name="territory_commune_postal_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.department_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_name = normalize_search(self.name)
        super().save(*args, **kwargs)
