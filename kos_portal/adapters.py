"""allauth adapter: no open sign-up (accounts come from invitations, clubs.services), a
locked-out sign-in answers 429, and account emails leave through a Celery task."""

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.db import transaction

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Staff roles are invitation-only; the invitation view creates the account itself.
        return False

    def pre_authenticate(self, request, **credentials) -> None:
        """Past ACCOUNT_RATE_LIMITS["login_failed"] (5 failures per address), answer 429
        rather than allauth's form error with 200: clients and proxies see a lockout."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if error.code == "too_many_login_attempts":
                raise ImmediateHttpResponse(respond_429(request)) from error
            raise

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render now, send from a worker after commit (issue #13).

        The request never waits on SMTP, so a failing mail server can't turn a password
        reset for a known address into a 500 while an unknown one answers 302: both answer
        the same, and the worker retries. Publishing errors (broker down) are logged, never
        raised, for the same reason.
        """
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        data = {
            "subject": message.subject,
            "body": message.body,
            "from_email": message.from_email,
            "to": list(message.to),
            "alternatives": [list(a) for a in getattr(message, "alternatives", [])],
            "content_subtype": message.content_subtype,
        }
        transaction.on_commit(lambda: _publish(data, template_prefix))


def _publish(data: dict, template_prefix: str) -> None:
    # task_publish, not enqueue_on_commit: with tasks inline (no broker) that lets the
    # task's errors propagate, and a failing SMTP server would be the 500 this avoids.
    from kos_portal.tasks import account_email_send_task, task_publish

    try:
        if task_publish(account_email_send_task, data):
            return
    except Exception:  # SMTP failing while tasks run inline
        logger.exception("Account email %s was not sent", template_prefix)
        return
    # Broker down: no reconciler re-sends it; the person asks for the link again.
    logger.error("Account email %s was not sent: the broker is down", template_prefix)
