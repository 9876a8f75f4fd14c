from django.urls import path  # noqa: F401

app_name = "training"

# --- Catalogue: courses ---
urlpatterns = []

# --- Instructors: profiles, qualifications, checks, calendar ---
urlpatterns += []

# --- Sessions: scheduling, enrolment, waitlist ---
urlpatterns += []

# --- Attendance, results, training history ---
from training.views import results as results_views  # noqa: E402

urlpatterns += [
    path(
        "sessions/<int:session_pk>/results/",
        results_views.session_results,
        name="session-results",
    ),
    path(
        "members/<int:member_pk>/history/",
        results_views.member_history,
        name="member-history",
    ),
]
