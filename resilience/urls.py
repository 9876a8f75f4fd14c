from django.urls import path  # noqa: F401

app_name = "resilience"

# --- Threat register, exercises, after-action reviews, corrective actions ---
urlpatterns = []

# --- Local problem cases, indicators, the trust and preparedness pulse ---
urlpatterns += []
