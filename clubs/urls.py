from django.urls import path

from clubs import views

app_name = "clubs"

urlpatterns = [
    path("", views.club_list, name="club-list"),
    path("<int:club_pk>/", views.club_detail, name="club-detail"),
]
