"""Admin for accounts and credentials. A new secret is shown once, in a message."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html

from accounts.models import SCOPES, Account, BearerToken
from accounts.services import (
    account_deactivate,
    account_reactivate,
    account_rotate_auth_token,
    ensure_parent_active,
    token_create,
    token_revoke,
    token_rotate,
)


def _show_once(request, label: str, secret: str) -> None:
    messages.warning(
        request,
        format_html("{}: <code>{}</code> (shown once; store it now)", label, secret),
    )


class SubaccountInline(admin.TabularInline):
    model = Account
    fk_name = "parent"
    fields = ("auth_id", "name", "is_active", "timezone")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "subaccounts"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TokenInline(admin.TabularInline):
    model = BearerToken
    fields = ("name", "scopes", "expires_at", "revoked_at", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AccountForm(forms.ModelForm):
    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("is_active"):
            # On change the parent is read-only, so it is the instance's.
            parent = cleaned.get("parent", self.instance.parent)
            try:
                ensure_parent_active(parent)
            except ValidationError as exc:
                self.add_error("is_active", exc)
        return cleaned


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    form = AccountForm
    list_display = ("auth_id", "name", "parent", "is_active", "timezone", "created_at")
    list_filter = ("is_active",)
    search_fields = ("auth_id", "name")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
    readonly_fields = ("auth_id", "partner_sid", "auth_token_rotated_at", "created_at")
    fields = ("auth_id", "partner_sid", "name", "parent", "timezone", "is_active",
              "auth_token_rotated_at", "created_at")  # fmt: skip
    inlines = (SubaccountInline, TokenInline)
    actions = ("rotate_auth_token", "deactivate")

    def get_readonly_fields(self, request, obj=None):
        # The parent is chosen once: moving a subaccount would move its calls' visibility.
        return (*self.readonly_fields, "parent") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            token = obj.set_auth_token()
            super().save_model(request, obj, form, change)
            _show_once(request, f"Auth token of {obj.auth_id}", token)
            return
        super().save_model(request, obj, form, change)
        if "is_active" not in form.changed_data:
            return
        # The same services as the actions and commands: one meaning of (de)activation.
        if obj.is_active:
            account_reactivate(account=obj)
        else:
            account_deactivate(account=obj)
            self.message_user(request, f"Deactivated {obj.auth_id} and every account below it.")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # accounts own call records: deactivate instead

    # Actions change credentials: they need the change permission, not mere viewing.
    @admin.action(
        description="Rotate the auth token (the old one stops working)", permissions=["change"]
    )
    def rotate_auth_token(self, request, queryset) -> None:
        for account in queryset:
            _show_once(
                request,
                f"New auth token of {account.auth_id}",
                account_rotate_auth_token(account=account),
            )

    @admin.action(description="Deactivate (with every account below)", permissions=["change"])
    def deactivate(self, request, queryset) -> None:
        for account in queryset:
            account_deactivate(account=account)
        self.message_user(request, f"Deactivated {queryset.count()} account(s) and their subtrees.")


class TokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(s, s) for s in SCOPES], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = BearerToken
        fields = ("account", "name", "scopes", "expires_at")


@admin.register(BearerToken)
class BearerTokenAdmin(admin.ModelAdmin):
    form = TokenForm
    list_display = ("name", "account", "scope_list", "expires_at", "state", "created_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "account__auth_id")
    autocomplete_fields = ("account",)
    list_select_related = ("account",)
    actions = ("revoke", "rotate")

    def get_readonly_fields(self, request, obj=None):
        return ("account", "scopes", "revoked_at", "created_at") if obj else ()

    def get_form(self, request, obj=None, **kwargs):
        if obj:  # an issued token's scopes are fixed: rotate to change them
            kwargs["form"] = forms.ModelForm
            kwargs["fields"] = ("name", "expires_at")
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = token_create(
            account=obj.account,
            scopes=form.cleaned_data["scopes"],
            name=obj.name,
            expires_at=obj.expires_at,
        )
        obj.pk = issued.token.pk
        obj.digest = issued.token.digest
        _show_once(request, f"Bearer token for {obj.account.auth_id}", issued.secret)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: keeps the record of who had access

    @admin.display(description="scopes")
    def scope_list(self, obj: BearerToken) -> str:
        return ", ".join(obj.scopes)

    @admin.display(description="state")
    def state(self, obj: BearerToken) -> str:
        if obj.revoked_at:
            return "revoked"
        if obj.expires_at and obj.expires_at <= timezone.now():
            return "expired"
        return "active"

    @admin.action(description="Revoke", permissions=["change"])
    def revoke(self, request, queryset) -> None:
        for token in queryset:
            token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).")

    @admin.action(description="Rotate (revoke and issue a replacement)", permissions=["change"])
    def rotate(self, request, queryset) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            issued = token_rotate(token=token)
            _show_once(request, f"New bearer token for {token.account.auth_id}", issued.secret)
