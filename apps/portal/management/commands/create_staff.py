import getpass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.users.services import create_staff_account


class Command(BaseCommand):
    help = (
        "Create a platform staff account for Django admin: --support (view-only, the "
        "Support group) or --superuser. The password is prompted for, or read from "
        "--password-file (its first line)."
    )

    def add_arguments(self, parser):
        parser.add_argument("user_name", metavar="USERNAME")
        kind = parser.add_mutually_exclusive_group()
        kind.add_argument("--support", action="store_true", help="View-only support staff.")
        kind.add_argument("--superuser", action="store_true", help="Full Django admin access.")
        parser.add_argument(
            "--password-file", type=Path, help="Read the password from this file's first line."
        )

    def handle(self, *args, user_name, support, superuser, password_file, **options):
        password = self._password(password_file)
        try:
            user = create_staff_account(
                actor=None,
                user_name=user_name,
                password=password,
                support=support,
                superuser=superuser,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        kind = "superuser" if superuser else "Support (view-only)" if support else "staff"
        self.stdout.write(f'Created {kind} account "{user.user_name}"; sign in at /admin/.')

    def _password(self, password_file: Path | None) -> str:
        if password_file is not None:
            try:
                lines = password_file.read_text().splitlines()
            except OSError as error:
                raise CommandError(f"Cannot read {password_file}: {error.strerror}.") from None
            password = lines[0] if lines else ""
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        if not password:
            raise CommandError("The password is empty.")
        return password
