from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.accounts.models import User
from maillage.organisations import services
from maillage.organisations.enums import OrganisationKind, Role
from maillage.organisations.models import Organisation


class Command(BaseCommand):
    help = (
        "Give a user a role in an organisation (journalled). Used by operators to name the first "
        "platform administrator: manage.py grant_role admin@example.org --organisation 'Operator' --role admin "
        "--create-organisation"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--organisation", required=True, help="Exact name of the organisation.")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--create-organisation", action="store_true", help="Create the organisation (type 'other') if missing."
        )

    def handle(
        self, *args: Any, email: str, organisation: str, role: str, create_organisation: bool, **kw: Any
    ) -> None:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with the address {email}: create it first (manage.py createsuperuser).")
        org = Organisation.objects.filter(name=organisation).first()
        try:
            if org is None:
                if not create_organisation:
                    raise CommandError(f"No organisation named {organisation!r} (add --create-organisation).")
                org = services.organisation_create(actor=None, name=organisation, kind=OrganisationKind.OTHER)
            membership = services.membership_create(actor=None, organisation=org, user=user, role=role)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"{user.email} is now {membership.get_role_display()} in {org.name}.")
