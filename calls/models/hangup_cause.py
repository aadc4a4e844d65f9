"""Plivo's hangup causes as a table, for the admin and for SQL."""

from __future__ import annotations

from django.db import models

from calls.vocabulary.choices import PRODUCTS


class HangupCause(models.Model):
    """Plivo's hangup causes, (product, code) -> name, loaded by migrate from the catalogue
    in calls/vocabulary/hangup.py (which the API reads without a query)."""

    product = models.CharField(max_length=8, choices=[(p, p) for p in PRODUCTS])
    code = models.IntegerField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["product", "code"]
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="hangup_cause_product_code")
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.code} {self.name}"
