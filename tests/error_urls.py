"""The project's URLs plus one view that fails, for tests of the 500 page and Sentry.

Test-only: production has no URL that fails on purpose.
"""

from django.urls import path

from kos_portal.urls import handler500, urlpatterns  # noqa: F401 (handler500 is read from here)

SECRET_IN_ERROR = "the-failure-detail-users-must-not-see"


def fail(request):
    raise RuntimeError(SECRET_IN_ERROR)


urlpatterns = [*urlpatterns, path("test-failure/", fail)]
