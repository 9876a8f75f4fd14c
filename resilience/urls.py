from django.urls import path

app_name = "resilience"

# --- Threat register, exercises, after-action reviews, corrective actions ---
from resilience.views import exercises as exercise_views  # noqa: E402
from resilience.views import hub as hub_views  # noqa: E402
from resilience.views import threats as threat_views  # noqa: E402

urlpatterns = [
    path("", hub_views.hub, name="hub"),
    path("threats/", threat_views.threat_list, name="threat-list"),
    path(
        "gminas/<int:municipality_pk>/threats/new/",
        threat_views.threat_create,
        name="threat-create",
    ),
    path("threats/<int:threat_pk>/", threat_views.threat_detail, name="threat-detail"),
    path("threats/<int:threat_pk>/edit/", threat_views.threat_edit, name="threat-edit"),
    path("threats/<int:threat_pk>/review/", threat_views.threat_review, name="threat-review"),
    path(
        "gminas/<int:municipality_pk>/risk-matrix/",
        threat_views.risk_matrix,
        name="risk-matrix",
    ),
    path("exercises/", exercise_views.exercise_list, name="exercise-list"),
    path(
        "gminas/<int:municipality_pk>/exercises/new/",
        exercise_views.exercise_create,
        name="exercise-create",
    ),
    path("exercises/<int:exercise_pk>/", exercise_views.exercise_detail, name="exercise-detail"),
    path("exercises/<int:exercise_pk>/edit/", exercise_views.exercise_edit, name="exercise-edit"),
    path(
        "exercises/<int:exercise_pk>/participants/",
        exercise_views.exercise_participants,
        name="exercise-participants",
    ),
    path(
        "exercises/<int:exercise_pk>/attendance/",
        exercise_views.exercise_attendance,
        name="exercise-attendance",
    ),
    path("exercises/<int:exercise_pk>/review/", exercise_views.review_edit, name="review-edit"),
    path(
        "exercises/<int:exercise_pk>/actions/new/",
        exercise_views.action_create,
        name="action-create",
    ),
    path("actions/", exercise_views.action_list, name="action-list"),
    path("actions/<int:action_pk>/edit/", exercise_views.action_edit, name="action-edit"),
]

# --- Local problem cases, indicators, the trust and preparedness pulse ---
from resilience.views import cases as case_views  # noqa: E402
from resilience.views import pulse as pulse_views  # noqa: E402

urlpatterns += [
    path("cases/", case_views.case_list, name="case-list"),
    path("cases/new/", case_views.case_create, name="case-create"),
    path("cases/<int:case_pk>/", case_views.case_detail, name="case-detail"),
    path("cases/<int:case_pk>/edit/", case_views.case_edit, name="case-edit"),
    path(
        "cases/<int:case_pk>/actions/new/",
        case_views.case_action_create,
        name="case-action-create",
    ),
    path(
        "cases/actions/<int:case_action_pk>/edit/",
        case_views.case_action_edit,
        name="case-action-edit",
    ),
    path(
        "cases/<int:case_pk>/indicators/new/",
        case_views.indicator_create,
        name="indicator-create",
    ),
    path(
        "cases/indicators/<int:indicator_pk>/measurements/new/",
        case_views.measurement_add,
        name="measurement-add",
    ),
    path("surveys/", pulse_views.survey_list, name="survey-list"),
    path("surveys/new/", pulse_views.survey_create, name="survey-create"),
    path("surveys/<int:survey_pk>/", pulse_views.survey_detail, name="survey-detail"),
    # public: the link (or QR code) handed to respondents; no sign-in
    path("pulse/<str:survey_token>/", pulse_views.survey_answer, name="survey-answer"),
    path("pulse/<str:survey_token>/thanks/", pulse_views.survey_thanks, name="survey-thanks"),
    path("gminas/<int:municipality_pk>/trust/", pulse_views.trust_kpis, name="trust-kpis"),
]
