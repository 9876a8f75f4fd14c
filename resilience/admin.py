"""Admin for the resilience cycle: national staff only (RoleBackend.has_module_perms)."""

from django.contrib import admin

from resilience.models import (
    AfterActionReview,
    CaseAction,
    CorrectiveAction,
    Exercise,
    ExerciseParticipation,
    Indicator,
    ProblemCase,
    Survey,
    Threat,
)

# --- Threats, exercises, reviews, corrective actions ---


@admin.register(Threat)
class ThreatAdmin(admin.ModelAdmin):
    list_display = ["title", "municipality", "kind", "likelihood", "impact", "review_due_on"]
    list_filter = ["kind"]
    search_fields = ["title", "municipality__name"]
    raw_id_fields = ["municipality", "owner"]


class ParticipationInline(admin.TabularInline):
    model = ExerciseParticipation
    raw_id_fields = ["member"]
    extra = 0


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ["title", "municipality", "club", "starts_at", "status"]
    list_filter = ["status"]
    search_fields = ["title", "municipality__name", "club__name"]
    raw_id_fields = ["municipality", "club", "threat", "created_by"]
    inlines = [ParticipationInline]


class CorrectiveActionInline(admin.TabularInline):
    model = CorrectiveAction
    raw_id_fields = ["owner", "suggested_course", "scheduled_session"]
    extra = 0


@admin.register(AfterActionReview)
class AfterActionReviewAdmin(admin.ModelAdmin):
    list_display = ["exercise", "written_at"]
    raw_id_fields = ["exercise", "written_by"]
    inlines = [CorrectiveActionInline]


# --- Problem cases and the pulse ---


class CaseActionInline(admin.TabularInline):
    model = CaseAction
    raw_id_fields = ["partner"]
    extra = 0


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0


@admin.register(ProblemCase)
class ProblemCaseAdmin(admin.ModelAdmin):
    list_display = ["title", "municipality", "club", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "municipality__name", "club__name"]
    raw_id_fields = ["municipality", "club", "created_by"]
    inlines = [CaseActionInline, IndicatorInline]


# SurveyResponse is deliberately not registered: single answers must never be shown, only
# groups of at least SURVEY_MIN_RESPONSES (docs/pulse.md).
@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["title", "municipality", "club", "kind", "opens_on", "closes_on"]
    list_filter = ["kind"]
    search_fields = ["title", "municipality__name", "club__name"]
    raw_id_fields = ["municipality", "club", "session", "exercise", "created_by"]
