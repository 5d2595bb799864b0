"""Create an API token from the command line (the admin's form does the same) and print
its key once: `manage.py api_token_create NAME --user USERNAME` or `--bank CODE`."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from banking.models import ApiToken, Bank
from banking.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token acting as a user or as a bank; prints the key once."

    def add_arguments(self, parser):
        parser.add_argument("name")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--user", help="username whose scope the token has")
        target.add_argument("--bank", help="code of the bank the token acts as")

    def handle(self, *args, name, user, bank, **options):
        if user:
            try:
                account = User.objects.get(username=user)
            except User.DoesNotExist as error:
                raise CommandError(f"no user {user!r}") from error
            _, key = api_token_create(
                name=name, scope=ApiToken.Scope.USER, user=account, actor=None
            )
        else:
            try:
                the_bank = Bank.objects.get(code=bank)
            except Bank.DoesNotExist as error:
                raise CommandError(f"no bank {bank!r}") from error
            _, key = api_token_create(
                name=name, scope=ApiToken.Scope.BANK, bank=the_bank, actor=None
            )
        self.stdout.write(key)
