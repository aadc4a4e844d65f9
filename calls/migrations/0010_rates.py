"""Rate tables for pricing calls that arrive without a price (calls/rating/, docs/rating.md)."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("calls", "0009_speed"),
    ]

    operations = [
        migrations.CreateModel(
            name="Rate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "direction",
                    models.CharField(
                        choices=[("inbound", "inbound"), ("outbound", "outbound")], max_length=8
                    ),
                ),
                (
                    "prefix",
                    models.CharField(
                        blank=True,
                        help_text="First digits of the called number, no +; empty: every number.",
                        max_length=20,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[0-9]*$", "A prefix is digits only (no +), or empty."
                            )
                        ],
                    ),
                ),
                (
                    "rate",
                    models.DecimalField(
                        decimal_places=5,
                        help_text="Price per minute.",
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(0)],
                    ),
                ),
                (
                    "first_interval",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(3600),
                        ]
                    ),
                ),
                (
                    "next_interval",
                    models.PositiveSmallIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(3600),
                        ]
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "account",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty: the default table, for every account.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rates",
                        to="accounts.account",
                    ),
                ),
            ],
            options={
                "ordering": ("direction", "prefix"),
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("account__isnull", False)),
                        fields=("account", "direction", "prefix"),
                        name="rate_account_key",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("account__isnull", True)),
                        fields=("direction", "prefix"),
                        name="rate_default_key",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("rate__gte", 0)), name="rate_not_negative"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("first_interval__gte", 1),
                            ("first_interval__lte", 3600),
                            ("next_interval__gte", 1),
                            ("next_interval__lte", 3600),
                        ),
                        name="rate_intervals_in_range",
                    ),
                ],
            },
        ),
    ]
