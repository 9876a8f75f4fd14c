from django.urls import path

from clubs.views import clubs, invitations, partner_import, partners, starter_pack
from clubs.views import public as public_views

app_name = "clubs"

# --- Clubs: lists, details, lifecycle, gminas ---
urlpatterns = [
    path("", clubs.club_list, name="club-list"),
    path("export/", clubs.club_export, name="club-export"),
    path("new/", clubs.club_create, name="club-create"),
    path("<int:club_pk>/", clubs.club_detail, name="club-detail"),
    path("<int:club_pk>/edit/", clubs.club_edit, name="club-edit"),
    path("<int:club_pk>/status/", clubs.club_status, name="club-status"),
    path("<int:club_pk>/leaders/", clubs.club_leaders, name="club-leaders"),
    path(
        "gminas/<int:municipality_pk>/",
        clubs.municipality_detail,
        name="municipality-detail",
    ),
]

# --- Public: directory, club pages, contact, start a club ---
urlpatterns += [
    path("directory/", public_views.directory, name="directory"),
    path("directory/<int:club_pk>/", public_views.public_club, name="public-club"),
    path("directory/<int:club_pk>/contact/", public_views.public_contact, name="public-contact"),
    path("start/", public_views.club_propose, name="club-propose"),
    path("start/thanks/", public_views.club_propose_done, name="club-propose-done"),
]

# --- Partners and agreements ---
urlpatterns += [
    path("partners/", partners.partner_list, name="partner-list"),
    path("partners/export/", partners.partner_export, name="partner-export"),
    path("partners/new/", partners.partner_create, name="partner-create"),
    path("partners/import/", partner_import.partner_import, name="partner-import"),
    path(
        "partners/import/jobs/<int:job_pk>/",
        partner_import.partner_import_job,
        name="partner-import-job",
    ),
    path("partners/<int:partner_pk>/", partners.partner_detail, name="partner-detail"),
    path("partners/<int:partner_pk>/edit/", partners.partner_edit, name="partner-edit"),
    path(
        "partners/<int:partner_pk>/links/new/",
        partners.partner_link_create,
        name="partner-link-create",
    ),
    path(
        "partners/links/<int:link_pk>/edit/", partners.partner_link_edit, name="partner-link-edit"
    ),
    path(
        "partners/links/<int:link_pk>/delete/",
        partners.partner_link_delete,
        name="partner-link-delete",
    ),
    path(
        "partners/links/<int:link_pk>/document/",
        partners.partner_link_document,
        name="partner-link-document",
    ),
]

# --- Starter pack ---
urlpatterns += [
    path("starter-pack/library/", starter_pack.starter_document_list, name="starter-document-list"),
    path(
        "starter-pack/library/new/",
        starter_pack.starter_document_create,
        name="starter-document-create",
    ),
    path(
        "starter-pack/library/<int:document_pk>/",
        starter_pack.starter_document_edit,
        name="starter-document-edit",
    ),
    path(
        "starter-pack/library/<int:document_pk>/versions/new/",
        starter_pack.starter_version_create,
        name="starter-version-create",
    ),
    path(
        "starter-pack/versions/<int:version_pk>/download/",
        starter_pack.starter_version_download,
        name="starter-version-download",
    ),
    path("<int:club_pk>/starter-pack/", starter_pack.club_starter_pack, name="club-starter-pack"),
    path(
        "<int:club_pk>/starter-pack.zip",
        starter_pack.club_starter_pack_zip,
        name="club-starter-pack-zip",
    ),
    path(
        "<int:club_pk>/starter-pack/<int:document_pk>/",
        starter_pack.club_starter_file,
        name="club-starter-file",
    ),
]

# --- Invitations ---
urlpatterns += [
    path("invitations/", invitations.invitation_list, name="invitation-list"),
    path("invitations/new/", invitations.invitation_create, name="invitation-create"),
    path(
        "invitations/<int:invitation_pk>/revoke/",
        invitations.invitation_revoke,
        name="invitation-revoke",
    ),
    path(
        "invitations/accept/<str:token>/", invitations.invitation_accept, name="invitation-accept"
    ),
]
