from django.contrib import admin

from kos_portal.admin import ScopedModelAdmin
from members.models import (
    Consent,
    GuardianConsent,
    Member,
    Membership,
    MembershipStatusChange,
    PersonalDataAccess,
    Skill,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["club"]


@admin.register(Member)
class MemberAdmin(ScopedModelAdmin):
    list_display = ["last_name", "first_name", "municipality"]
    search_fields = ["last_name", "first_name", "email"]
    raw_id_fields = ["municipality", "user"]
    list_select_related = ["municipality"]
    inlines = [MembershipInline]


@admin.register(Skill)
class SkillAdmin(ScopedModelAdmin):
    list_display = ["code", "name_pl", "name_en"]
    search_fields = ["code", "name_pl", "name_en"]


class ReadOnlyAdmin(ScopedModelAdmin):
    """History and evidence (consents, status changes, the access log) is appended by the
    services and never edited or deleted, not even here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = [
        "member",
        "purpose",
        "given",
        "given_by",
        "text_version",
        "recorded_at",
        "method",
    ]
    list_filter = ["purpose", "given", "given_by", "method"]
    list_select_related = ["member"]
    search_fields = ["member__last_name", "member__email"]
    raw_id_fields = ["member", "recorded_by"]


@admin.register(GuardianConsent)
class GuardianConsentAdmin(ReadOnlyAdmin):
    list_display = ["member", "guardian_name", "consent_date", "text_version", "withdrawn_at"]
    list_select_related = ["member"]
    search_fields = ["member__last_name", "guardian_name"]
    raw_id_fields = ["member", "recorded_by"]


@admin.register(MembershipStatusChange)
class MembershipStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["membership", "from_status", "to_status", "changed_at", "changed_by"]
    list_filter = ["to_status"]
    list_select_related = ["membership__member", "membership__club", "changed_by"]
    raw_id_fields = ["membership", "club", "changed_by"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "user_email", "action", "member", "club", "member_count"]
    list_filter = ["action"]
    list_select_related = ["member", "club"]
    search_fields = ["user_email", "detail"]
    date_hierarchy = "at"
    raw_id_fields = ["user", "member", "club"]
