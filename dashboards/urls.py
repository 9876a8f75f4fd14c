from django.urls import path

from dashboards.views import areas, clubs, reports, search

app_name = "dashboards"

urlpatterns = [
    # Each role's own dashboard: national staff the country, coordinators their gmina(s),
    # leaders their club.
    path("", areas.index, name="index"),
    # The staff's one search box over people, clubs, partners, sessions and certificates.
    path("search/", search.search, name="search"),
    path("refresh/", areas.refresh, name="refresh"),
    # National staff: the country, drilled down to voivodeship and powiat by TERYT code.
    path("poland/", areas.country, name="country"),
    path("poland/export/<slug:table>/", areas.country_export, name="country-export"),
    path("voivodeships/<str:voivodeship_code>/", areas.voivodeship, name="voivodeship"),
    path(
        "voivodeships/<str:voivodeship_code>/export/<slug:table>/",
        areas.voivodeship_export,
        name="voivodeship-export",
    ),
    path("powiats/<str:powiat_code>/", areas.powiat, name="powiat"),
    path(
        "powiats/<str:powiat_code>/export/<slug:table>/",
        areas.powiat_export,
        name="powiat-export",
    ),
    # A gmina: national staff and the gmina's coordinators.
    path("gminas/<int:municipality_pk>/", areas.gmina, name="gmina"),
    path(
        "gminas/<int:municipality_pk>/export/<slug:table>/",
        areas.gmina_export,
        name="gmina-export",
    ),
    # A club: the club's staff.
    path("clubs/<int:club_pk>/", clubs.club, name="club"),
    path("clubs/<int:club_pk>/export/<slug:table>/", clubs.club_export, name="club-export"),
    # The gmina's yearly report of training and exercises (PDF by a worker, and XLSX).
    path("gminas/<int:municipality_pk>/reports/", reports.report_list, name="report-list"),
    path("reports/<int:report_pk>/pdf/", reports.report_pdf, name="report-pdf"),
    path("reports/<int:report_pk>/xlsx/", reports.report_xlsx, name="report-xlsx"),
]
