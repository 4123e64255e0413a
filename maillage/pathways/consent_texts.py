"""The consent sheet's explanation of each purpose, printed in the person's language.

Public text: it is translated in every language of the portal (scripts/portal_messages.py).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .enums import ConsentPurpose


def purposes_explained() -> list[tuple[str, str, str]]:
    """(value, title, plain explanation) of each purpose, in the active language."""
    return [
        (
            ConsentPurpose.FOLLOW_UP,
            _("Follow-up by this organisation"),
            _(
                "The organisation writes down your situation, your needs and what is done with you, "
                "so that the professionals who help you can follow your steps."
            ),
        ),
        (
            ConsentPurpose.SHARING,
            _("Sharing with a partner organisation"),
            _(
                "When you agree, the organisation may send a named partner organisation the information "
                "it needs to help you (for example for housing, work or health). You choose the partner, "
                "and only what is useful is sent."
            ),
        ),
        (
            ConsentPurpose.SMS,
            _("Contact by text message"),
            _("The organisation may send you text messages, for example to remind you of an appointment."),
        ),
        (
            ConsentPurpose.STATISTICS,
            _("Anonymised statistics"),
            _(
                "Your situation may be counted in statistics without your name, so that nobody can know "
                "it is you. They help to improve the help given to everyone."
            ),
        ),
    ]
