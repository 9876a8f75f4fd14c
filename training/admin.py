"""Training in the admin (national staff only, rows through visible_to where there is one).

Catalogue and instructors first; the sessions and results parts append their own below.
"""

from django.contrib import admin

from kos_portal.admin import ScopedModelAdmin
from training.models import Course, InstructorProfile, InstructorQualification

# --- Catalogue and instructors ---


@admin.register(Course)
class CourseAdmin(ScopedModelAdmin):
    list_display = ["code", "title", "pillar", "hours", "passing_rule", "is_active"]
    list_filter = ["pillar", "passing_rule", "is_active"]
    search_fields = ["code", "title", "title_en"]
    filter_horizontal = ["prerequisites"]


class InstructorQualificationInline(admin.TabularInline):
    model = InstructorQualification
    extra = 0
    fields = ["pillar", "course", "issuer", "number", "valid_until", "verified_at"]
    readonly_fields = ["verified_at"]


@admin.register(InstructorProfile)
class InstructorProfileAdmin(ScopedModelAdmin):
    list_display = ["__str__", "phone", "safeguarding_verified_at"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    raw_id_fields = ["user"]
    readonly_fields = ["ical_token", "safeguarding_verified_by", "safeguarding_verified_at"]
    inlines = [InstructorQualificationInline]


@admin.register(InstructorQualification)
class InstructorQualificationAdmin(ScopedModelAdmin):
    list_display = ["instructor", "pillar", "course", "issuer", "valid_until", "verified_at"]
    list_filter = ["pillar", "verified_at"]
    search_fields = ["instructor__user__email", "issuer", "number"]
    raw_id_fields = ["instructor", "verified_by"]


# --- Sessions and enrolment ---
from training.models import Enrolment, Meeting, Session  # noqa: E402


class MeetingInline(admin.TabularInline):
    model = Meeting
    extra = 0
    fields = ["starts_at", "ends_at"]


@admin.register(Session)
class SessionAdmin(ScopedModelAdmin):
    list_display = ["course", "club", "starts_at", "capacity", "visibility", "status"]
    list_filter = ["status", "visibility", "course__pillar"]
    search_fields = ["course__code", "club__name", "venue"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["club", "course", "venue_partner", "created_by"]
    filter_horizontal = ["instructors"]
    # The schedule is kept by the services (clash checks, denormalised times).
    readonly_fields = ["starts_at", "ends_at", "cancelled_at", "completed_at"]
    inlines = [MeetingInline]


@admin.register(Meeting)
class MeetingAdmin(ScopedModelAdmin):
    list_display = ["session", "starts_at", "ends_at"]
    raw_id_fields = ["session", "club"]
    date_hierarchy = "starts_at"


@admin.register(Enrolment)
class EnrolmentAdmin(ScopedModelAdmin):
    list_display = ["member", "session", "status", "waitlist_position", "result"]
    list_filter = ["status", "result"]
    search_fields = ["member__last_name", "member__email", "session__course__code"]
    raw_id_fields = ["session", "club", "member", "enrolled_by", "result_recorded_by"]
    readonly_fields = ["promoted_at", "promotion_emailed_at"]
