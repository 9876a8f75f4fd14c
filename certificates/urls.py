from django.urls import path

from certificates.views import certificates, verification

app_name = "certificates"

# Included at the site root: paths start with "certificates/" or, for the public check,
# "verify/" (the QR code holds SITE_URL + /verify/<code>).

# --- Issuing, rendering, downloads, re-issue, revoke, bulk ---
urlpatterns = [
    path("certificates/", certificates.certificate_list, name="certificate-list"),
    path("certificates/export/", certificates.certificate_export, name="certificate-export"),
    path(
        "certificates/<int:certificate_pk>/",
        certificates.certificate_detail,
        name="certificate-detail",
    ),
    path(
        "certificates/<int:certificate_pk>/status/",
        certificates.certificate_status,
        name="certificate-status",
    ),
    path(
        "certificates/<int:certificate_pk>/pdf/",
        certificates.certificate_download,
        name="certificate-download",
    ),
    path(
        "certificates/<int:certificate_pk>/reissue/",
        certificates.certificate_reissue,
        name="certificate-reissue",
    ),
    path(
        "certificates/<int:certificate_pk>/revoke/",
        certificates.certificate_revoke,
        name="certificate-revoke",
    ),
    path(
        "certificates/sessions/<int:session_pk>/zip/",
        certificates.session_certificates_zip,
        name="session-certificates-zip",
    ),
    path(
        "certificates/sessions/<int:session_pk>/pdf/",
        certificates.session_certificates_pdf,
        name="session-certificates-pdf",
    ),
]

# --- Public verification and the signed credential ---
urlpatterns += [
    path("verify/", verification.verify_form, name="verify-form"),
    path("verify/<str:code>/", verification.verify, name="verify"),
    path("verify/<str:code>/credential.json", verification.credential, name="credential"),
    path(".well-known/kos-issuer-key.json", verification.issuer_key, name="issuer-key"),
]
