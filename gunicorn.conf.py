"""gunicorn reads this file from its working directory (/app in the image, the checkout in
scripts/smoke): its own log lines go out in the project's format, JSON in production.

No access log here: RequestIdMiddleware writes one line per request, with the request id.
"""

import os

from kos_portal.logs import logging_config

logconfig_dict = logging_config(
    fmt=os.environ.get("LOG_FORMAT", "json"), level=os.environ.get("LOG_LEVEL", "INFO")
)
