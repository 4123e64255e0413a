"""Load demonstration data drawn from the seed documents (idempotent).

Organisations named in the seeds (Hauts-de-France prefecture, DDETS, OFII, AREAS, a CCAS,
France Travail, CAF, the Seine-Saint-Denis department) and one user per role. Passwords are
generated at each run and printed only here; coordinators and administrators also get a
TOTP key and backup codes, printed once.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from maillage.accounts.models import User
from maillage.accounts.services import backup_codes_regenerate, user_create
from maillage.organisations import services as org_services
from maillage.organisations.enums import OrganisationKind, Role
from maillage.organisations.models import Organisation
from maillage.territory.models import Department

ORGANISATIONS: list[dict[str, Any]] = [
    {
        "name": "Maillage – équipe d'exploitation",
        "acronym": "Maillage",
        "kind": OrganisationKind.OTHER,
        "departments": ["59", "62"],
    },
    {
        "name": "Préfecture de la région Hauts-de-France",
        "acronym": "Préfecture HdF",
        "kind": OrganisationKind.STATE_SERVICE,
        "commune": "59350",
        "address": "12-14 rue Jean Sans Peur",
        "departments": ["02", "59", "60", "62", "80"],
    },
    {
        "name": "Direction départementale de l'emploi, du travail et des solidarités du Nord",
        "acronym": "DDETS 59",
        "kind": OrganisationKind.STATE_SERVICE,
        "commune": "59350",
        "departments": ["59"],
    },
    {
        "name": "Direction départementale de l'emploi, du travail et des solidarités du Pas-de-Calais",
        "acronym": "DDETS 62",
        "kind": OrganisationKind.STATE_SERVICE,
        "commune": "62041",
        "departments": ["62"],
    },
    {
        "name": "Office français de l'immigration et de l'intégration – direction territoriale de Lille",
        "acronym": "OFII Lille",
        "kind": OrganisationKind.STATE_SERVICE,
        "commune": "59350",
        "departments": ["59", "62"],
    },
    {
        "name": "La Sauvegarde du Nord – AREAS (Gens du voyage et Roms)",
        "acronym": "AREAS",
        "kind": OrganisationKind.ASSOCIATION,
        "commune": "59350",
        "departments": ["59"],
    },
    {
        "name": "Centre communal d'action sociale de Lille",
        "acronym": "CCAS Lille",
        "kind": OrganisationKind.LOCAL_AUTHORITY,
        "commune": "59350",
        "departments": ["59"],
    },
    {
        "name": "France Travail Hauts-de-France",
        "acronym": "France Travail",
        "kind": OrganisationKind.EMPLOYMENT_SERVICE,
        "commune": "59350",
        "departments": ["02", "59", "60", "62", "80"],
    },
    {
        "name": "Caisse d'allocations familiales du Nord",
        "acronym": "CAF 59",
        "kind": OrganisationKind.SOCIAL_PROTECTION,
        "commune": "59350",
        "departments": ["59"],
    },
    {
        "name": "Conseil départemental de la Seine-Saint-Denis – coordination Roms",
        "acronym": "CD93",
        "kind": OrganisationKind.LOCAL_AUTHORITY,
        "commune": "93008",
        "departments": ["93"],
    },
]

USERS: list[dict[str, Any]] = [
    {
        "email": "admin@maillage.example",
        "first_name": "Alex",
        "last_name": "Martin",
        "org": "Maillage",
        "role": Role.ADMIN,
    },
    {
        "email": "coordination@prefecture-hdf.example",
        "first_name": "Nadia",
        "last_name": "Benali",
        "org": "Préfecture HdF",
        "role": Role.COORDINATOR,
    },
    {
        "email": "direction@areas.example",
        "first_name": "Claire",
        "last_name": "Dubois",
        "org": "AREAS",
        "role": Role.MANAGER,
    },
    {
        "email": "conseiller@areas.example",
        "first_name": "Mihai",
        "last_name": "Popescu",
        "org": "AREAS",
        "role": Role.PROFESSIONAL,
    },
    {
        "email": "mediatrice@areas.example",
        "first_name": "Elena",
        "last_name": "Ivanova",
        "org": "AREAS",
        "role": Role.VOLUNTEER,
    },
    {
        "email": "partenaire@caf59.example",
        "first_name": "Julien",
        "last_name": "Lefebvre",
        "org": "CAF 59",
        "role": Role.PARTNER,
    },
]


class Command(BaseCommand):
    help = "Load the demonstration organisations and one user per role (prints the logins)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="Use this password for every demo user instead of random ones.")
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print passwords.")

    @transaction.atomic
    def handle(self, *args: Any, password: str | None = None, quiet_logins: bool = False, **options: Any) -> None:
        needed = {code for org in ORGANISATIONS for code in org["departments"]}
        known = set(Department.objects.filter(code__in=needed).values_list("code", flat=True))
        if known != needed:
            raise CommandError("Load the territory first: manage.py load_territory")
        by_acronym: dict[str, Organisation] = {}
        for spec in ORGANISATIONS:
            fields = {k: v for k, v in spec.items() if k not in ("name", "departments")}
            org = Organisation.objects.filter(name=spec["name"]).first()
            if org is None:
                org = org_services.organisation_create(
                    actor=None, name=spec["name"], departments=spec["departments"], **fields
                )
            by_acronym[spec["acronym"]] = org
        rows = []
        for spec in USERS:
            secret = password or secrets.token_urlsafe(12)
            user = User.objects.filter(email=spec["email"]).first()
            if user is None:
                user = user_create(
                    actor=None,
                    email=spec["email"],
                    password=secret,
                    first_name=spec["first_name"],
                    last_name=spec["last_name"],
                )
            else:
                user.set_password(secret)
                user.save(update_fields=["password"])
            org_services.membership_create(
                actor=None, organisation=by_acronym[spec["org"]], user=user, role=spec["role"]
            )
            totp = codes = None
            if spec["role"] in (Role.ADMIN, Role.COORDINATOR):
                TOTPDevice.objects.filter(user=user).delete()
                device = TOTPDevice.objects.create(user=user, name="Authenticator (demo)", confirmed=True)
                totp = base64.b32encode(device.bin_key).decode().rstrip("=")
                codes = backup_codes_regenerate(actor=user)
            rows.append((spec, secret, totp, codes))
        self.stdout.write(self.style.SUCCESS(f"Demo data: {len(ORGANISATIONS)} organisations, {len(USERS)} users."))
        if quiet_logins:
            return
        self.stdout.write("\nDemo logins (shown only now; run `make demo` again for new ones):")
        for spec, secret, totp, codes in rows:
            line = f"  {str(Role(spec['role']).label):<28} {spec['email']:<40} password: {secret}"
            self.stdout.write(line)
            if totp:
                self.stdout.write(f"  {'':<28} TOTP key (authenticator app): {totp}")
                self.stdout.write(f"  {'':<28} backup codes: {' '.join(codes or [])}")
