from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """Dashboards, KPIs and reports: pages that combine every other app.

    A separate app because it stands on all of them (STYLE: dashboards sit on top). It owns
    the rollup tables that the dashboards read, so no page aggregates raw rows per request.
    """

    name = "dashboards"
    verbose_name = _("Dashboards and reports")

    def ready(self) -> None:
        from dashboards import freshness

        freshness.connect_signals()

        from dashboards import home_sections

        home_sections.register()
