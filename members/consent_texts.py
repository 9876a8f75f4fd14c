"""The consent texts people agree to, with their versions.

A form shows the current text and the service records its version with each consent, so
we can always tell which wording a person agreed to. Change a text: give it a new version.
Old versions stay valid for the consents recorded under them.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from members.models import ConsentPurpose


@dataclass(frozen=True)
class ConsentText:
    version: str
    text: str | Promise


CONSENT_TEXTS: dict[str, ConsentText] = {
    ConsentPurpose.MEMBERSHIP_DATA: ConsentText(
        version="membership-2025-01",
        text=_(
            "I agree that the Social Resilience Club and ICCSS process my personal data "
            "(name, date of birth, contact details, gmina, skills) to run my membership."
        ),
    ),
    ConsentPurpose.IMAGES: ConsentText(
        version="images-2025-01",
        text=_(
            "I agree that photos and films showing me at club activities may be published "
            "on the club's and ICCSS's websites and social media."
        ),
    ),
    ConsentPurpose.EMAIL_NEWS: ConsentText(
        version="email-news-2025-01",
        text=_("I would like to receive news about the club and training by email."),
    ),
}

# Purposes without which nobody can be registered.
REQUIRED_PURPOSES = frozenset({ConsentPurpose.MEMBERSHIP_DATA})

GUARDIAN_CONSENT = ConsentText(
    version="guardian-2025-01",
    text=_(
        "As the parent or legal guardian, I agree to the minor's membership of the Social "
        "Resilience Club and to the processing of their personal data for it."
    ),
)


def current_version(purpose: str) -> str:
    """The version of the text now shown for `purpose`."""
    return CONSENT_TEXTS[purpose].version
