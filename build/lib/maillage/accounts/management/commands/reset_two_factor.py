from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.accounts.models import User
from maillage.accounts.services import two_factor_reset


class Command(BaseCommand):
    help = "Remove a user's authenticator and backup codes (lost phone); they set up a new one at next login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with the address {email}.")
        two_factor_reset(actor=None, user=user)
        self.stdout.write(f"Second factor of {user.email} removed: a new one is set up at the next login.")
