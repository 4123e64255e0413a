"""Form of a new entry in a site's journal.

The organisations offered are those in whose name the user may write on the site
(``permissions.journal_organisations``), the classes those the user reads for that
organisation (``permissions.journal_classes``). Without JavaScript both lists are static: with
several organisations, the classes offered are the union and ``clean`` refuses a class the
user may not write for the organisation chosen (the service checks it again).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.organisations.models import Organisation
from maillage.pathways.enums import Sensitivity

from ..models import Site
from ..permissions import journal_classes
from .fields import DateInput


class SiteJournalEntryForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("In the name of"), coerce=int)
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"),
        help_text=_(
            "General entries are read by everyone who sees the site; the other classes only by your "
            "organisation's members allowed to read them."
        ),
    )
    occurred_on = forms.DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
        help_text=_("No names of residents here: the journal of a site is read by all the teams working there."),
    )

    def __init__(self, *args: Any, user: Any, site: Site, organisation_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.site = user, site
        names = dict(Organisation.objects.filter(pk__in=organisation_ids).values_list("pk", "name"))
        self.fields["organisation"].choices = [  # type: ignore[attr-defined]
            (pk, names.get(pk, str(pk))) for pk in sorted(organisation_ids, key=lambda pk: names.get(pk, ""))
        ]
        if len(organisation_ids) == 1:
            self.fields["organisation"].initial = organisation_ids[0]
        classes: set[str] = set()
        for pk in organisation_ids:
            classes |= journal_classes(user, site, pk)
        self.fields["sensitivity"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in Sensitivity.choices if value in classes
        ]
        self.fields["sensitivity"].initial = Sensitivity.GENERAL

    def clean_occurred_on(self) -> Any:
        value = self.cleaned_data["occurred_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        organisation, sensitivity = data.get("organisation"), data.get("sensitivity")
        if (
            organisation is not None
            and sensitivity
            and sensitivity not in journal_classes(self.user, self.site, organisation)
        ):
            self.add_error("sensitivity", _("You may not write entries of this class for this organisation."))
        return data
