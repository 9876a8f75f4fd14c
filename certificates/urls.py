from django.urls import path  # noqa: F401

app_name = "certificates"

# Included at the site root: paths start with "certificates/" or, for the public check,
# "verify/" (the QR code holds SITE_URL + /verify/<code>).

# --- Issuing, rendering, downloads, re-issue, revoke, bulk ---
urlpatterns = []

# --- Public verification and the signed credential ---
urlpatterns += []
