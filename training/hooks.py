"""Hooks the floors above training fill in (training never imports them).

`result_outcomes`: what came of the recorded results, shown on the results page. Each entry
takes (user, enrolments) and returns {enrolment pk: {"label": str, "detail": str,
"url": str}}; certificates registers the number issued for each pass (CertificatesConfig).
"""

from __future__ import annotations

from collections.abc import Callable

result_outcomes: list[Callable] = []


def result_outcomes_for(user, enrolments) -> dict[int, list[dict]]:
    """Every registered outcome of `enrolments` the user may see, by enrolment pk."""
    found: dict[int, list[dict]] = {}
    for outcomes in result_outcomes:
        for pk, outcome in outcomes(user, enrolments).items():
            found.setdefault(pk, []).append(outcome)
    return found
