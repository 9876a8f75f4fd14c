from django.contrib import admin
from django.urls import include, path

from kos_portal import views
from kos_portal.gmina_picker import gmina_suggestions

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("mfa-required/", views.mfa_required, name="mfa-required"),
    path("i18n/language/", views.language_set, name="language-set"),
    path("gminas/suggest/", gmina_suggestions, name="gmina-suggestions"),
    path("accounts/", include("allauth.urls")),
    path("clubs/", include("clubs.urls")),
    path("members/", include("members.urls")),
    path("training/", include("training.urls")),
    path("resilience/", include("resilience.urls")),
    path("dashboards/", include("dashboards.urls")),
    # Certificates live under certificates/…, their public check under verify/<code>.
    path("", include("certificates.urls")),
    path("admin/", admin.site.urls),
]

# The 500 page shows the request id (docs/deployment.md).
handler500 = views.server_error

# MEDIA_ROOT is never served directly, not even in DEBUG: uploads (agreements, starter pack,
# certificates) are downloaded only through views that check access.
