"""The API tokens page of the review desk: issue a token (its key is shown on that one
page and never again), see whose tokens exist by their prefix, delete them."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from annotations import services
from annotations.models import ApiToken


class IssueTokenForm(forms.ModelForm):
    rotate = forms.BooleanField(
        required=False, help_text="Replace the user's existing token, if there is one."
    )

    class Meta:
        model = ApiToken
        fields = ["user"]

    def validate_unique(self) -> None:
        """A second token for a user replaces the first when asked (token_issue decides)."""
        if not self.cleaned_data.get("rotate"):
            super().validate_unique()


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "prefix", "created_at"]
    search_fields = ["user__username", "prefix"]
    readonly_fields = ["user", "prefix", "created_at"]
    list_select_related = ["user"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> "type[forms.ModelForm[Any]]":
        if obj is None:
            kwargs["form"] = IssueTokenForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return tuple(self.readonly_fields) if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("user", "rotate") if obj is None else tuple(self.readonly_fields)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a token is issued or deleted, never edited

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        self._issued_key = services.token_issue(
            user=obj.user, rotate=form.cleaned_data.get("rotate")
        )
        obj.pk = ApiToken.objects.get(user=obj.user).pk

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        obj = ApiToken.objects.get(pk=obj.pk)
        return super().log_addition(request, obj, message)

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: Any = None
    ) -> HttpResponse:
        """The key on this page only: it goes into no message, no cookie and no log."""
        token = ApiToken.objects.select_related("user").get(pk=obj.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "API token issued",
            "token": token,
            "key": self._issued_key,
        }
        return TemplateResponse(request, "admin/annotations/apitoken/issued.html", context)
