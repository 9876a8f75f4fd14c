from django.urls import path

from clubs import views

app_name = "clubs"

urlpatterns = [
    path("", views.club_list, name="club-list"),
    path("<int:club_pk>/", views.club_detail, name="club-detail"),
]

urlpatterns += [
    path("invitations/", views.invitation_list, name="invitation-list"),
    path("invitations/new/", views.invitation_create, name="invitation-create"),
    path(
        "invitations/<int:invitation_pk>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("invitations/accept/<str:token>/", views.invitation_accept, name="invitation-accept"),
]
