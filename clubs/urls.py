from django.urls import path

from clubs.views import clubs, invitations

app_name = "clubs"

# --- Clubs: lists, details, lifecycle, gminas ---
urlpatterns = [
    path("", clubs.club_list, name="club-list"),
    path("<int:club_pk>/", clubs.club_detail, name="club-detail"),
]

# --- Public: directory, club pages, contact, start a club ---
urlpatterns += []

# --- Partners and agreements ---
urlpatterns += []

# --- Starter pack ---
urlpatterns += []

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
