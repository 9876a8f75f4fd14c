from django.contrib import admin

from clubs.models import (
    Assignment,
    Club,
    Invitation,
    Municipality,
    Partner,
    PartnerLink,
    Powiat,
    Voivodeship,
)
from kos_portal.admin import ScopedModelAdmin


@admin.register(Voivodeship)
class VoivodeshipAdmin(ScopedModelAdmin):
    list_display = ["code", "name", "is_current"]
    search_fields = ["code", "name"]


@admin.register(Powiat)
class PowiatAdmin(ScopedModelAdmin):
    list_display = ["code", "name", "voivodeship", "is_city", "is_current"]
    list_filter = ["voivodeship", "is_city"]
    search_fields = ["code", "name"]
    list_select_related = ["voivodeship"]


@admin.register(Municipality)
class MunicipalityAdmin(ScopedModelAdmin):
    list_display = ["code", "name", "kind", "powiat", "population", "is_current"]
    list_filter = ["kind", "is_current", "powiat__voivodeship"]
    search_fields = ["code", "name"]
    list_select_related = ["powiat"]
    raw_id_fields = ["powiat"]


class PartnerLinkInline(admin.TabularInline):
    model = PartnerLink
    extra = 0
    raw_id_fields = ["partner"]


@admin.register(Club)
class ClubAdmin(ScopedModelAdmin):
    list_display = ["name", "municipality", "status", "founded_on"]
    list_filter = ["status"]
    search_fields = ["name", "municipality__name"]
    list_select_related = ["municipality"]
    raw_id_fields = ["municipality"]
    inlines = [PartnerLinkInline]


@admin.register(Partner)
class PartnerAdmin(ScopedModelAdmin):
    list_display = ["name", "kind", "municipality", "is_ksrg"]
    list_filter = ["kind", "is_ksrg"]
    search_fields = ["name"]
    list_select_related = ["municipality"]
    raw_id_fields = ["municipality"]


@admin.register(Assignment)
class AssignmentAdmin(ScopedModelAdmin):
    list_display = ["user", "role", "municipality", "club", "created_at", "ended_at"]
    list_filter = ["role"]
    search_fields = ["user__email"]
    list_select_related = ["user", "municipality", "club"]
    raw_id_fields = ["user", "municipality", "club", "created_by"]


@admin.register(Invitation)
class InvitationAdmin(ScopedModelAdmin):
    list_display = ["email", "role", "municipality", "club", "expires_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email"]
    list_select_related = ["municipality", "club"]
    raw_id_fields = ["municipality", "club", "invited_by", "accepted_by"]
    readonly_fields = ["token", "accepted_at", "accepted_by"]
