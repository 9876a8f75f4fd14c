from django.contrib import admin

from kos_portal.admin import ScopedModelAdmin
from members.models import Member, Membership


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
