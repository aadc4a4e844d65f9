from django.core.management.base import BaseCommand, CommandParser

from accounts.management.operator import describe_account, dumps
from accounts.models import Account


class Command(BaseCommand):
    help = (
        "List every account, each main account followed by the accounts below it "
        "(indented): auth id, active or deactivated, name. Never a secret."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON array")

    def handle(self, *args, json: bool, **opts) -> None:
        ordered = _tree_order(list(Account.objects.select_related("parent")))
        if json:
            self.stdout.write(dumps([describe_account(account) for account, _ in ordered]))
            return
        for account, depth in ordered:
            state = "active" if account.is_active else "deactivated"
            self.stdout.write(f"{'  ' * depth}{account.auth_id}  {state:<11}  {account.name}")
        self.stdout.write(f"{len(ordered)} account(s)")


def _tree_order(accounts: list[Account]) -> list[tuple[Account, int]]:
    """Depth first, by auth id at each level: each account right after its parent."""
    below: dict[int | None, list[Account]] = {}
    for account in sorted(accounts, key=lambda a: a.auth_id):
        below.setdefault(account.parent_id, []).append(account)
    ordered: list[tuple[Account, int]] = []
    stack = [(account, 0) for account in reversed(below.get(None, []))]
    while stack:
        account, depth = stack.pop()
        ordered.append((account, depth))
        stack.extend((child, depth + 1) for child in reversed(below.get(account.pk, [])))
    return ordered
