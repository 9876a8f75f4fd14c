"""Certificates in the admin (national staff only, rows through visible_to).

Certificates are issued, re-issued and revoked by the services (numbers, frozen wording,
rendering), so the admin shows them read-only and adds none.
"""

from django.contrib import admin

from certificates.models import Certificate
from kos_portal.admin import ScopedModelAdmin

# --- Certificates ---


@admin.register(Certificate)
class CertificateAdmin(ScopedModelAdmin):
    list_display = [
        "number",
        "holder_name",
        "course",
        "club",
        "issued_on",
        "expires_on",
        "status",
        "render_status",
    ]
    list_filter = ["status", "render_status", "pillar"]
    search_fields = ["number", "holder_name"]
    list_select_related = ["course", "club"]
    date_hierarchy = "issued_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
