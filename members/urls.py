from django.urls import path

from members.views import logins, roster, roster_bulk, roster_import, self_service

app_name = "members"

# --- Roster: registration, list, detail, statuses, applications ---
urlpatterns = [
    path("club/<int:club_pk>/", roster.roster, name="roster"),
    path("club/<int:club_pk>/export/", roster.roster_export, name="roster-export"),
    path("club/<int:club_pk>/new/", roster.member_create, name="member-create"),
    path("<int:member_pk>/", roster.member_detail, name="member-detail"),
    path("<int:member_pk>/edit/", roster.member_edit, name="member-edit"),
    path("<int:member_pk>/consents/", roster.consent_record, name="consent-record"),
    path(
        "memberships/<int:membership_pk>/status/",
        roster.membership_status,
        name="membership-status",
    ),
    path("applications/", roster.application_list, name="application-list"),
    path(
        "applications/<int:membership_pk>/decide/",
        roster.application_decide,
        name="application-decide",
    ),
    path("access-log/", roster.access_log, name="access-log"),
    path("apply/<int:club_pk>/", roster.club_apply, name="club-apply"),
]

# --- Roster import ---
urlpatterns += [
    path("club/<int:club_pk>/import/", roster_import.roster_import_view, name="roster-import"),
    path(
        "club/<int:club_pk>/import/jobs/<int:job_pk>/",
        roster_import.roster_import_job,
        name="roster-import-job",
    ),
]

# --- Member's own view, data export, erasure, access log ---
urlpatterns += [
    path("me/", self_service.my_data, name="my-data"),
    path("me/consents/withdraw/", self_service.my_consent_withdraw, name="my-consent-withdraw"),
    path("me/data.json", self_service.my_data_json, name="my-data-json"),
    path("me/data.html", self_service.my_data_html, name="my-data-html"),
    path("me/data.pdf", self_service.my_data_pdf, name="my-data-pdf"),
    path("<int:member_pk>/erase/", self_service.member_erase_view, name="member-erase"),
]

# --- Logins for members and guardians: invitations, the emailed link, a guardian's pages ---
urlpatterns += [
    path("<int:member_pk>/invite-login/", logins.member_login_invite, name="member-login-invite"),
    path(
        "club/<int:club_pk>/invite-logins/", logins.roster_login_invite, name="roster-login-invite"
    ),
    path("login/<str:login_token>/", logins.login_accept, name="login-accept"),
    path("club/<int:club_pk>/bulk/", roster_bulk.roster_bulk, name="roster-bulk"),
    path("wards/<int:member_pk>/", self_service.my_data, name="ward-data"),
    path(
        "wards/<int:member_pk>/consents/withdraw/",
        self_service.my_consent_withdraw,
        name="ward-consent-withdraw",
    ),
    path("wards/<int:member_pk>/data.json", self_service.my_data_json, name="ward-data-json"),
    path("wards/<int:member_pk>/data.html", self_service.my_data_html, name="ward-data-html"),
    path("wards/<int:member_pk>/data.pdf", self_service.my_data_pdf, name="ward-data-pdf"),
]
