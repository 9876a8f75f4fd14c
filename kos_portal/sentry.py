"""Error reporting through Sentry, on only when SENTRY_DSN is set (settings.py calls this).

Without a DSN nothing imports sentry_sdk, so it adds no cost and sends nothing.
"""


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float = 0.0) -> None:
    """Report unhandled errors from Django views and Celery tasks to `dsn`.

    send_default_pii=False: no cookies, no user emails or IP addresses, no request bodies
    leave the server; errors are tagged with the request id instead, so a report can be
    matched with the id a user quotes from the 500 page and with our logs.
    """
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=_tag_request_id,
    )


def _tag_request_id(event: dict, hint: dict) -> dict:
    from kos_portal.logs import current_request_id

    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event
