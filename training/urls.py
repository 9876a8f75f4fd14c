from django.urls import path  # noqa: F401

app_name = "training"

# --- Catalogue: courses ---
urlpatterns = []

# --- Instructors: profiles, qualifications, checks, calendar ---
urlpatterns += []

# --- Sessions: scheduling, enrolment, waitlist ---
urlpatterns += []

# --- Attendance, results, training history ---
urlpatterns += []
