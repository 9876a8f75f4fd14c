from django.urls import path

app_name = "training"

# --- Catalogue: courses ---
from training.views import catalogue as catalogue_views  # noqa: E402

urlpatterns = [
    path("courses/", catalogue_views.course_list, name="course-list"),
    path("courses/new/", catalogue_views.course_create, name="course-create"),
    path("courses/<int:course_pk>/", catalogue_views.course_detail, name="course-detail"),
    path("courses/<int:course_pk>/edit/", catalogue_views.course_edit, name="course-edit"),
]

# --- Instructors: profiles, qualifications, checks, calendar ---
from training.views import instructors as instructor_views  # noqa: E402

urlpatterns += [
    path("instructors/", instructor_views.instructor_list, name="instructor-list"),
    path(
        "instructors/<int:instructor_pk>/",
        instructor_views.instructor_detail,
        name="instructor-detail",
    ),
    path(
        "instructors/<int:instructor_pk>/safeguarding/",
        instructor_views.safeguarding_record,
        name="safeguarding-record",
    ),
    path(
        "instructors/me/edit/",
        instructor_views.instructor_profile_edit,
        name="instructor-profile-edit",
    ),
    path(
        "instructors/me/qualifications/new/",
        instructor_views.qualification_create,
        name="qualification-create",
    ),
    path(
        "qualifications/<int:qualification_pk>/verify/",
        instructor_views.qualification_verify,
        name="qualification-verify",
    ),
    path(
        "qualifications/<int:qualification_pk>/document/",
        instructor_views.qualification_document,
        name="qualification-document",
    ),
    path("calendar/", instructor_views.my_calendar, name="my-calendar"),
    path(
        "calendar/regenerate-link/",
        instructor_views.ical_regenerate,
        name="ical-regenerate",
    ),
    path("ical/<str:ical_token>.ics", instructor_views.ical_feed, name="ical-feed"),
]

# --- Sessions: scheduling, enrolment, waitlist ---
from training.views import enrolment as enrolment_views  # noqa: E402
from training.views import sessions as session_views  # noqa: E402

urlpatterns += [
    path("clubs/<int:club_pk>/sessions/", session_views.session_list, name="session-list"),
    path("clubs/<int:club_pk>/sessions/new/", session_views.session_create, name="session-create"),
    path("clubs/<int:club_pk>/sessions/bulk/", session_views.session_bulk, name="session-bulk"),
    path("sessions/mine/", session_views.my_sessions, name="my-sessions"),
    path("sessions/<int:session_pk>/", session_views.session_detail, name="session-detail"),
    path("sessions/<int:session_pk>/edit/", session_views.session_edit, name="session-edit"),
    path("sessions/<int:session_pk>/cancel/", session_views.session_cancel, name="session-cancel"),
    path("sessions/<int:session_pk>/enrol/", enrolment_views.session_enrol, name="session-enrol"),
    path(
        "sessions/<int:session_pk>/enrol-self/",
        enrolment_views.session_enrol_self,
        name="session-enrol-self",
    ),
    path(
        "enrolments/<int:enrolment_pk>/cancel/",
        enrolment_views.enrolment_cancel,
        name="enrolment-cancel",
    ),
]

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
