"""The admin is for national staff only, and obeys the same scoping as every page."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, resolve_url
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from kos_portal import access
from kos_portal.models import User


def _national_admin_only(request) -> bool:
    return request.user.is_active and access.is_national(request.user)


def _admin_login(request, extra_context=None):
    """The admin signs in through allauth (verified email, MFA, rate limits).

    allauth's own secure_admin_login relies on is_staff; here the access rules decide.
    """
    if not request.user.is_authenticated:
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or resolve_url("admin:index")
        query = urlencode({REDIRECT_FIELD_NAME: next_url})
        return redirect(f"{resolve_url(settings.LOGIN_URL)}?{query}")
    if not _national_admin_only(request):
        raise PermissionDenied
    return redirect("admin:index")


admin.site.has_permission = _national_admin_only
admin.site.unregister(Group)  # roles are Assignment rows, not groups
admin.site.login = _admin_login
admin.site.site_header = "KOS Portal"


class ScopedModelAdmin(admin.ModelAdmin):
    """Rows come through the model's `visible_to(user)` when it has one; only national
    staff get in at all (AdminSite.has_permission above)."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if hasattr(queryset, "visible_to"):
            queryset = queryset.visible_to(request.user)
        return queryset

    def has_module_permission(self, request):
        return _national_admin_only(request)

    def has_view_permission(self, request, obj=None):
        return _national_admin_only(request)

    def has_add_permission(self, request):
        return _national_admin_only(request)

    def has_change_permission(self, request, obj=None):
        return _national_admin_only(request)

    def has_delete_permission(self, request, obj=None):
        return _national_admin_only(request)


@admin.register(User)
class UserAdmin(ScopedModelAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "last_login"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language")}),
        (_("Status"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ()
    list_filter = ["is_active", "is_superuser"]
