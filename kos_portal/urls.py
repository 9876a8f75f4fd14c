from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from kos_portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("mfa-required/", views.mfa_required, name="mfa-required"),
    path("i18n/language/", views.language_set, name="language-set"),
    path("accounts/", include("allauth.urls")),
    path("clubs/", include("clubs.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
