"""The rate tables: per account (or the default for every account), direction and
destination prefix, a per-minute rate and a billing increment (docs/rating.md)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from accounts.models import Account
from calls.vocabulary.choices import DIRECTIONS
from calls.vocabulary.increments import MAX_INTERVAL, format_increment

MAX_PREFIX = 20
PREFIX_RE = r"^[0-9]*$"


class Rate(models.Model):
    """One line of a rate table. `account` empty: the default table, for every account.

    `prefix` is matched against the called number in its normalised form (no `+`, SIP
    user part): the longest prefix wins; an empty prefix matches every number.
    """

    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rates",
        help_text="Empty: the default table, for every account.",
    )
    direction = models.CharField(max_length=8, choices=[(d, d) for d in DIRECTIONS])
    prefix = models.CharField(
        max_length=MAX_PREFIX,
        blank=True,
        validators=[RegexValidator(PREFIX_RE, "A prefix is digits only (no +), or empty.")],
        help_text="First digits of the called number, no +; empty: every number.",
    )
    rate = models.DecimalField(
        max_digits=14,
        decimal_places=5,
        validators=[MinValueValidator(0)],
        help_text="Price per minute.",
    )
    first_interval = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_INTERVAL)]
    )
    next_interval = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_INTERVAL)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("direction", "prefix")
        constraints = [
            # NULL never equals NULL in a unique index, so the default table needs its own.
            models.UniqueConstraint(
                fields=["account", "direction", "prefix"],
                condition=Q(account__isnull=False),
                name="rate_account_key",
            ),
            models.UniqueConstraint(
                fields=["direction", "prefix"],
                condition=Q(account__isnull=True),
                name="rate_default_key",
            ),
            models.CheckConstraint(condition=Q(rate__gte=0), name="rate_not_negative"),
            models.CheckConstraint(
                condition=Q(first_interval__gte=1, first_interval__lte=MAX_INTERVAL)
                & Q(next_interval__gte=1, next_interval__lte=MAX_INTERVAL),
                name="rate_intervals_in_range",
            ),
        ]

    def __str__(self) -> str:
        owner = self.account.auth_id if self.account_id else "default"
        return f"{owner} {self.direction} {self.prefix or '*'} {self.rate}/min {self.increment}"

    @property
    def increment(self) -> str:
        return format_increment(self.first_interval, self.next_interval)
