"""`Cache-Control: no-store` for every page and file that shows people's personal data.

One rule, by URL name: rosters, member pages, exports and certificate PDFs must never be
kept by a browser's or a proxy's cache (a shared computer in a gmina office, the back
button after signing out). A view can also opt in with the `no_store` attribute (#13).
"""

from django.utils.cache import add_never_cache_headers

# Every URL of these namespaces: rosters, people, consents, applications, own data.
NO_STORE_NAMESPACES = frozenset({"members"})
NO_STORE_URL_NAMES = frozenset(
    {
        "clubs:club-export",
        "clubs:club-leaders",
        "clubs:invitation-list",
        "clubs:partner-export",
        "certificates:certificate-list",
        "certificates:certificate-export",
        "certificates:certificate-detail",
        "certificates:certificate-status",
        "certificates:certificate-download",
        "certificates:session-certificates-zip",
        "certificates:session-certificates-pdf",
        "training:session-detail",
        "training:session-results",
        "training:member-history",
        "training:instructor-detail",
        "training:qualification-document",
        "dashboards:club",
        "dashboards:club-export",
        "resilience:exercise-detail",
        "resilience:exercise-participants",
        "resilience:exercise-attendance",
    }
)


def is_no_store(resolver_match) -> bool:
    """Whether the resolved view shows personal data and so must not be cached."""
    if resolver_match is None:
        return False
    if getattr(resolver_match.func, "no_store", False):
        return True
    return (
        resolver_match.namespace in NO_STORE_NAMESPACES
        or resolver_match.view_name in NO_STORE_URL_NAMES
    )


class NoStoreMiddleware:
    """Adds `Cache-Control: no-store, no-cache, must-revalidate, private, max-age=0` to the
    responses of the views `is_no_store` names, whatever their status or content type."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if is_no_store(getattr(request, "resolver_match", None)):
            add_never_cache_headers(response)
        return response
