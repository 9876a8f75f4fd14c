from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Certificates")

    def ready(self) -> None:
        # Training sits on a lower floor and never imports certificates: it announces a
        # pass with a signal, and certificates listen.
        from certificates.services.issuing import certificate_issue_on_pass
        from training.signals import course_passed

        course_passed.connect(certificate_issue_on_pass, dispatch_uid="certificates-issue-on-pass")

        # The results page shows the certificate each pass got (training.hooks).
        from certificates.selectors import result_certificates_for
        from training import hooks

        if result_certificates_for not in hooks.result_outcomes:
            hooks.result_outcomes.append(result_certificates_for)

        # The member's own-data export and erasure (members never imports certificates).
        from certificates.services.management import register_member_hooks

        register_member_hooks()
