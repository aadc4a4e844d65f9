"""The rate tables in the admin: Django's model permissions (view, add, change, delete on
rates) decide who sees and edits them, as for every other page here."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from calls.models import Rate
from calls.vocabulary.increments import IncrementError, format_increment, parse_increment


class RateForm(forms.ModelForm):
    """The increment as carriers write it ("30/6"), parsed by the rule the CSV uses."""

    increment = forms.CharField(
        max_length=9, help_text="first/next in seconds: 60/60, 1/1, 30/6", initial="60/60"
    )

    class Meta:
        model = Rate
        fields = ("account", "direction", "prefix", "rate")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["increment"] = self.instance.increment

    def clean_prefix(self) -> str:
        return self.cleaned_data["prefix"].strip().removeprefix("+")

    def clean_increment(self) -> tuple[int, int]:
        try:
            return parse_increment(self.cleaned_data["increment"])
        except IncrementError as exc:
            raise forms.ValidationError(str(exc)) from None

    def _post_clean(self) -> None:
        if isinstance(self.cleaned_data.get("increment"), tuple):
            first, step = self.cleaned_data["increment"]
            self.instance.first_interval, self.instance.next_interval = first, step
        super()._post_clean()


@admin.register(Rate)
class RateAdmin(admin.ModelAdmin):
    form = RateForm
    list_display = ("table", "direction", "prefix_shown", "rate", "increment_shown", "updated_at")
    list_filter = ("direction", ("account", admin.EmptyFieldListFilter))
    # A prefix search is a range scan; accounts are typed as an auth id (no dropdown).
    search_fields = ("^prefix", "=account__auth_id")
    search_help_text = "A prefix's first digits, or an account's auth id."
    raw_id_fields = ("account",)
    list_select_related = ("account",)
    ordering = ("account__auth_id", "direction", "prefix")
    show_full_result_count = False

    @admin.display(description="table", ordering="account__auth_id")
    def table(self, rate: Rate) -> str:
        return rate.account.auth_id if rate.account_id else "default (every account)"

    @admin.display(description="prefix", ordering="prefix")
    def prefix_shown(self, rate: Rate) -> str:
        return rate.prefix or "(every number)"

    @admin.display(description="increment")
    def increment_shown(self, rate: Rate) -> str:
        return format_increment(rate.first_interval, rate.next_interval)
