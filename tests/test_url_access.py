"""The access sweep: every named URL, for every role, against the table of expected answers.

A new URL without a row fails `test_every_url_has_a_row`. Each role acts on the objects of
one club (`world.club`); the outsider leads another club, so every object-level row is
also a test of another club's object. Admin URLs are generated per registered model, so
they are checked by rule instead of by row: national staff only.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import ROLES

# fmt: off
# The world's member is enrolled in the instructor's session, so the instructor sees the
# person (403 on staff member pages, not 404).
# Each row: status codes for GET by    anon  nat  coord lead instr memb  out
EXPECTED: dict[str, tuple[int, ...]] = {
    "home":                             (200, 200, 200, 200, 200, 200, 200),
    "healthz":                          (200, 200, 200, 200, 200, 200, 200),
    "mfa-required":                     (302, 200, 200, 200, 200, 200, 200),
    "language-set":                     (405, 405, 405, 405, 405, 405, 405),
    # the gmina picker's suggestions (kos_portal/gmina_picker.py): public, GET only
    "gmina-suggestions":                (200, 200, 200, 200, 200, 200, 200),
    "clubs:club-list":                  (302, 200, 200, 200, 200, 403, 200),
    "clubs:club-detail":                (302, 200, 200, 200, 200, 404, 404),
    "clubs:club-export":                (302, 200, 200, 200, 200, 403, 200),
    "clubs:club-create":                (302, 200, 200, 403, 403, 403, 403),
    "clubs:club-edit":                  (302, 200, 200, 200, 403, 404, 404),
    "clubs:club-status":                (302, 200, 200, 403, 403, 404, 404),
    "clubs:club-leaders":               (302, 200, 200, 200, 403, 404, 404),
    "clubs:municipality-detail":        (302, 200, 200, 200, 200, 404, 404),
    "clubs:invitation-list":            (302, 200, 200, 200, 403, 403, 200),
    "clubs:invitation-create":          (302, 200, 200, 200, 403, 403, 200),
    "clubs:invitation-revoke":          (405, 405, 405, 405, 405, 405, 405),
    "clubs:invitation-accept":          (200, 403, 403, 403, 403, 403, 403),
    # partners and agreements: members get 403; the outsider's gmina holds none of these
    "clubs:partner-list":               (302, 200, 200, 200, 200, 403, 200),
    "clubs:partner-export":             (302, 200, 200, 200, 200, 403, 200),
    "clubs:partner-create":             (302, 200, 200, 200, 403, 403, 200),
    "clubs:partner-import":             (302, 200, 200, 403, 403, 403, 403),
    # registers: a partner import job is its owner's (the world's is national staff's)
    "clubs:partner-import-job":         (302, 200, 404, 403, 403, 403, 403),
    "clubs:partner-detail":             (302, 200, 200, 200, 200, 403, 404),
    "clubs:partner-edit":               (302, 200, 200, 200, 403, 403, 404),
    "clubs:partner-link-create":        (302, 200, 200, 200, 403, 403, 404),
    "clubs:partner-link-edit":          (302, 200, 200, 200, 403, 403, 404),
    "clubs:partner-link-delete":        (405, 405, 405, 405, 405, 405, 405),
    "clubs:partner-link-document":      (302, 200, 200, 200, 403, 403, 404),
    # public: directory, club pages, contact, start a club (no sign-in)
    "clubs:directory":                  (200, 200, 200, 200, 200, 200, 200),
    "clubs:public-club":                (200, 200, 200, 200, 200, 200, 200),
    "clubs:public-contact":             (200, 200, 200, 200, 200, 200, 200),
    "clubs:club-propose":               (200, 200, 200, 200, 200, 200, 200),
    "clubs:club-propose-done":          (200, 200, 200, 200, 200, 200, 200),
    "clubs:starter-document-list":      (302, 200, 403, 403, 403, 403, 403),
    "clubs:starter-document-create":    (302, 200, 403, 403, 403, 403, 403),
    "clubs:starter-document-edit":      (302, 200, 403, 403, 403, 403, 403),
    "clubs:starter-version-create":     (302, 200, 403, 403, 403, 403, 403),
    "clubs:starter-version-download":   (302, 200, 403, 403, 403, 403, 403),
    "clubs:club-starter-pack":          (302, 200, 200, 200, 200, 404, 404),
    "clubs:club-starter-pack-zip":      (302, 200, 200, 200, 403, 404, 404),
    "clubs:club-starter-file":          (302, 200, 200, 200, 200, 404, 404),
    "members:roster":                   (302, 200, 200, 200, 403, 404, 404),
    "members:roster-export":            (302, 200, 200, 200, 403, 404, 404),
    "members:member-create":            (302, 200, 200, 200, 403, 404, 404),
    "members:member-detail":            (302, 200, 200, 200, 403, 403, 404),
    "members:member-edit":              (302, 200, 200, 200, 403, 403, 404),
    "members:consent-record":           (302, 200, 200, 200, 403, 403, 404),
    "members:membership-status":        (302, 200, 200, 200, 404, 403, 404),
    "members:application-list":         (302, 200, 200, 200, 403, 403, 200),
    "members:application-decide":       (405, 405, 405, 405, 405, 405, 405),
    "members:access-log":               (302, 200, 403, 403, 403, 403, 403),
    "members:club-apply":               (200, 200, 200, 200, 200, 200, 200),
    "members:roster-import":            (302, 200, 200, 200, 403, 404, 404),
    # registers: the world's import job is national staff's partner import, no roster's
    "members:roster-import-job":        (302, 404, 404, 200, 403, 404, 404),
    "members:my-data":                  (302, 404, 404, 404, 404, 200, 404),
    "members:my-consent-withdraw":      (405, 405, 405, 405, 405, 405, 405),
    "members:my-data-json":             (302, 404, 404, 404, 404, 200, 404),
    "members:my-data-html":             (302, 404, 404, 404, 404, 200, 404),
    "members:my-data-pdf":              (302, 404, 404, 404, 404, 200, 404),
    "members:member-erase":             (302, 200, 200, 200, 403, 403, 404),
    # logins for members and guardians: staff who see the person invite them (or their
    # guardian); the emailed link is public and refuses any other signed-in account; a
    # guardian's pages answer only for their own children (nobody in the world is one)
    "members:member-login-invite":      (302, 200, 200, 200, 403, 403, 404),
    "members:roster-login-invite":      (405, 405, 405, 405, 405, 405, 405),
    "members:login-accept":             (200, 403, 403, 403, 403, 403, 403),
    "members:ward-data":                (302, 404, 404, 404, 404, 404, 404),
    "members:ward-consent-withdraw":    (405, 405, 405, 405, 405, 405, 405),
    "members:ward-data-json":           (302, 404, 404, 404, 404, 404, 404),
    "members:ward-data-html":           (302, 404, 404, 404, 404, 404, 404),
    "members:ward-data-pdf":            (302, 404, 404, 404, 404, 404, 404),
    # training results: the instructor teaches the world's session; coordinators only
    # watch (STYLE: record_attendance is national, leader, instructor); the member is a
    # participant. History: anyone who sees the person, the person themselves.
    "training:session-results":         (302, 200, 403, 200, 200, 403, 404),
    "training:member-history":          (302, 200, 200, 200, 200, 200, 404),
    # catalogue: public to read, national staff to edit
    "training:course-list":             (200, 200, 200, 200, 200, 200, 200),
    "training:course-detail":           (200, 200, 200, 200, 200, 200, 200),
    "training:course-create":           (302, 200, 403, 403, 403, 403, 403),
    "training:course-edit":             (302, 200, 403, 403, 403, 403, 403),
    # instructors: staff see those in their clubs (the outsider's club has none); an
    # instructor sees their own profile; verifying is for national staff and coordinators
    "training:instructor-list":          (302, 200, 200, 200, 403, 403, 200),
    "training:instructor-detail":        (302, 200, 200, 200, 200, 404, 404),
    "training:safeguarding-record":      (302, 200, 200, 403, 200, 404, 404),
    "training:instructor-profile-edit":  (302, 403, 403, 403, 200, 403, 403),
    "training:qualification-create":     (302, 403, 403, 403, 200, 403, 403),
    "training:qualification-verify":     (405, 405, 405, 405, 405, 405, 405),
    "training:qualification-document":   (302, 200, 200, 403, 200, 404, 404),
    "training:my-calendar":              (302, 403, 403, 403, 200, 403, 403),
    "training:ical-regenerate":          (405, 405, 405, 405, 405, 405, 405),
    # the secret link is the key: anyone holding it gets the feed
    "training:ical-feed":                (200, 200, 200, 200, 200, 200, 200),
    # sessions: club staff schedule and enrol; the instructor sees and edits the session
    # they teach; the member sees the session they are enrolled in; actions are POST-only
    "training:session-list":            (302, 200, 200, 200, 200, 404, 404),
    "training:session-create":          (302, 200, 200, 200, 403, 404, 404),
    "training:my-sessions":             (302, 403, 403, 403, 200, 403, 403),
    "training:session-detail":          (302, 200, 200, 200, 200, 200, 404),
    "training:session-edit":            (302, 200, 200, 200, 200, 403, 404),
    "training:session-cancel":          (405, 405, 405, 405, 405, 405, 405),
    "training:session-enrol":           (405, 405, 405, 405, 405, 405, 405),
    "training:session-enrol-self":      (405, 405, 405, 405, 405, 405, 405),
    "training:enrolment-cancel":        (405, 405, 405, 405, 405, 405, 405),
    # session list bulk actions (training-ux): POST-only, for those who schedule
    "training:session-bulk":            (405, 405, 405, 405, 405, 405, 405),
    # certificates: staff of the club, the holder and the instructor of the session (the
    # certificates feature: instructors see what they issued) see one; lists show what
    # visible_to gives (empty for the outsider); bulk downloads and changes: club staff
    "certificates:certificate-list":              (302, 200, 200, 200, 200, 200, 200),
    "certificates:certificate-export":            (302, 200, 200, 200, 200, 200, 200),
    "certificates:certificate-detail":            (302, 200, 200, 200, 200, 200, 404),
    "certificates:certificate-status":            (302, 200, 200, 200, 200, 200, 404),
    "certificates:certificate-download":          (302, 200, 200, 200, 200, 200, 404),
    "certificates:certificate-reissue":           (405, 405, 405, 405, 405, 405, 405),
    "certificates:certificate-revoke":            (302, 200, 200, 200, 403, 403, 404),
    "certificates:session-certificates-zip":      (302, 200, 200, 200, 403, 403, 404),
    "certificates:session-certificates-pdf":      (302, 200, 200, 200, 403, 403, 404),
    # public verification: no sign-in
    "certificates:verify":                        (200, 200, 200, 200, 200, 200, 200),
    "certificates:verify-form":                   (200, 200, 200, 200, 200, 200, 200),
    "certificates:credential":                    (200, 200, 200, 200, 200, 200, 200),
    "certificates:issuer-key":                    (200, 200, 200, 200, 200, 200, 200),
    # resilience: club staff read the gmina's register and their exercises; coordinators
    # and national staff keep the register; leaders plan and review their club's exercises
    "resilience:hub":                   (302, 200, 200, 200, 200, 403, 200),
    "resilience:threat-list":           (302, 200, 200, 200, 200, 403, 200),
    "resilience:threat-create":         (302, 200, 200, 403, 403, 404, 404),
    "resilience:threat-detail":         (302, 200, 200, 200, 200, 404, 404),
    "resilience:threat-edit":           (302, 200, 200, 403, 403, 404, 404),
    "resilience:threat-review":         (405, 405, 405, 405, 405, 405, 405),
    "resilience:risk-matrix":           (302, 200, 200, 200, 200, 404, 404),
    "resilience:exercise-list":         (302, 200, 200, 200, 200, 403, 200),
    "resilience:exercise-create":       (302, 200, 200, 200, 403, 404, 404),
    "resilience:exercise-detail":       (302, 200, 200, 200, 200, 404, 404),
    "resilience:exercise-edit":         (302, 200, 200, 200, 403, 404, 404),
    "resilience:exercise-participants": (302, 200, 200, 200, 403, 404, 404),
    "resilience:exercise-attendance":   (302, 200, 200, 200, 403, 404, 404),
    "resilience:review-edit":           (302, 200, 200, 200, 403, 404, 404),
    "resilience:action-create":         (302, 200, 200, 200, 403, 404, 404),
    "resilience:action-list":           (302, 200, 200, 200, 200, 403, 200),
    "resilience:action-edit":           (302, 200, 200, 200, 403, 404, 404),
    # problem cases and the pulse: club staff (not instructors) read and manage them; the
    # answer page and its thank-you are public (the link is the key); trust KPIs per gmina
    "resilience:case-list":             (302, 200, 200, 200, 403, 403, 200),
    "resilience:case-create":           (302, 200, 200, 200, 403, 403, 200),
    "resilience:case-detail":           (302, 200, 200, 200, 403, 404, 404),
    "resilience:case-edit":             (302, 200, 200, 200, 403, 404, 404),
    "resilience:case-action-create":    (302, 200, 200, 200, 403, 404, 404),
    "resilience:case-action-edit":      (302, 200, 200, 200, 403, 404, 404),
    "resilience:indicator-create":      (302, 200, 200, 200, 403, 404, 404),
    "resilience:measurement-add":       (302, 200, 200, 200, 403, 404, 404),
    "resilience:survey-list":           (302, 200, 200, 200, 403, 403, 200),
    "resilience:survey-create":         (302, 200, 200, 200, 403, 403, 200),
    "resilience:survey-detail":         (302, 200, 200, 200, 403, 404, 404),
    "resilience:survey-answer":         (200, 200, 200, 200, 200, 200, 200),
    "resilience:survey-thanks":         (200, 200, 200, 200, 200, 200, 200),
    "resilience:trust-kpis":            (302, 200, 200, 200, 403, 404, 404),
    # allauth: signing in, email, password and two-factor pages
    "account_login":                    (200, 302, 302, 302, 302, 302, 302),
    "account_logout":                   (302, 200, 200, 200, 200, 200, 200),
    "account_signup":                   (200, 302, 302, 302, 302, 302, 302),
    "account_inactive":                 (200, 200, 200, 200, 200, 200, 200),
    "account_reauthenticate":           (302, 200, 200, 200, 200, 200, 200),
    "account_email":                    (302, 200, 200, 200, 200, 200, 200),
    "account_email_verification_sent":  (200, 200, 200, 200, 200, 200, 200),
    "account_confirm_email":            (200, 200, 200, 200, 200, 200, 200),
    "account_confirm_login_code":       (302, 302, 302, 302, 302, 302, 302),
    "account_change_password":          (302, 200, 200, 200, 200, 200, 200),
    "account_set_password":             (302, 302, 302, 302, 302, 302, 302),
    "account_reset_password":           (200, 200, 200, 200, 200, 200, 200),
    "account_reset_password_done":      (200, 200, 200, 200, 200, 200, 200),
    "account_reset_password_from_key":  (200, 200, 200, 200, 200, 200, 200),
    "account_reset_password_from_key_done": (200, 200, 200, 200, 200, 200, 200),
    # allauth 65.22 (the lock): reauthentication by an emailed code
    # (a signed-in user asks for a code; confirming without a pending code goes back)
    "account_request_reauthentication_code": (302, 200, 200, 200, 200, 200, 200),
    "account_confirm_reauthentication_code": (302, 302, 302, 302, 302, 302, 302),
    # dashboards: national staff see the country and drill down; coordinators their gmina;
    # club staff their club. The leader's and instructor's gmina is in scope (403), the
    # outsider's is not (404).
    "dashboards:index":                 (302, 302, 302, 302, 403, 403, 302),
    "members:roster-bulk":              (405, 405, 405, 405, 405, 405, 405),
    "dashboards:search":                (302, 200, 200, 200, 403, 403, 200),
    "dashboards:refresh":               (405, 405, 405, 405, 405, 405, 405),
    "dashboards:country":               (302, 200, 403, 403, 403, 403, 403),
    "dashboards:country-export":        (302, 200, 403, 403, 403, 403, 403),
    "dashboards:voivodeship":           (302, 200, 403, 403, 403, 403, 403),
    "dashboards:voivodeship-export":    (302, 200, 403, 403, 403, 403, 403),
    "dashboards:powiat":                (302, 200, 403, 403, 403, 403, 403),
    "dashboards:powiat-export":         (302, 200, 403, 403, 403, 403, 403),
    "dashboards:gmina":                 (302, 200, 200, 403, 403, 404, 404),
    "dashboards:gmina-export":          (302, 200, 200, 403, 403, 404, 404),
    "dashboards:club":                  (302, 200, 200, 200, 403, 404, 404),
    "dashboards:club-export":           (302, 200, 200, 200, 403, 404, 404),
    "dashboards:report-list":           (302, 200, 200, 403, 403, 404, 404),
    "dashboards:report-pdf":            (302, 200, 200, 403, 403, 404, 404),
    "dashboards:report-xlsx":           (302, 200, 200, 403, 403, 404, 404),
    "mfa_index":                        (302, 200, 200, 200, 200, 200, 200),
    "mfa_authenticate":                 (302, 302, 302, 302, 302, 302, 302),
    "mfa_reauthenticate":               (302, 200, 200, 200, 200, 302, 200),
    "mfa_activate_totp":                (302, 302, 302, 302, 302, 302, 302),
    "mfa_deactivate_totp":              (302, 302, 302, 302, 302, 404, 302),
    "mfa_view_recovery_codes":          (302, 404, 404, 404, 404, 404, 404),
    "mfa_generate_recovery_codes":      (302, 302, 302, 302, 302, 302, 302),
    "mfa_download_recovery_codes":      (302, 404, 404, 404, 404, 404, 404),
    # Security keys (WebAuthn), a second factor like TOTP (issue #13); the world has none.
    "mfa_list_webauthn":                (302, 200, 200, 200, 200, 200, 200),
    "mfa_add_webauthn":                 (302, 302, 302, 302, 302, 302, 302),
    "mfa_reauthenticate_webauthn":      (302, 302, 302, 302, 302, 302, 302),
    "mfa_remove_webauthn":              (302, 302, 302, 302, 302, 302, 302),
    "mfa_edit_webauthn":                (302, 302, 302, 302, 302, 302, 302),
}

# POST answers where they differ from "a refused GET means a refused POST".
EXPECTED_POST: dict[str, tuple[int, ...]] = {
    "members:application-decide":       (302, 302, 302, 302, 404, 403, 404),
    "members:my-consent-withdraw":      (302, 404, 404, 404, 404, 302, 404),
    # logins for members and guardians (an empty POST: form errors, or back to the roster)
    "members:member-login-invite":      (302, 200, 200, 200, 403, 403, 404),
    "members:roster-login-invite":      (302, 302, 302, 302, 403, 404, 404),
    "members:roster-bulk":              (302, 302, 302, 302, 403, 404, 404),
    # session list bulk actions: an empty POST goes back to the list with the error
    "training:session-bulk":            (302, 302, 302, 302, 403, 404, 404),
    "members:ward-consent-withdraw":    (302, 404, 404, 404, 404, 404, 404),
    "language-set":                     (302, 302, 302, 302, 302, 302, 302),
    "gmina-suggestions":                (405, 405, 405, 405, 405, 405, 405),  # gmina picker
    "mfa_view_recovery_codes":          (302, 405, 405, 405, 405, 405, 405),
    "clubs:invitation-revoke":          (302, 302, 302, 302, 404, 404, 404),
    "clubs:partner-link-delete":        (302, 302, 302, 302, 403, 403, 404),
    "clubs:directory":                  (405, 405, 405, 405, 405, 405, 405),
    "clubs:public-club":                (405, 405, 405, 405, 405, 405, 405),
    "clubs:public-contact":             (200, 200, 200, 200, 200, 200, 200),  # form errors
    "clubs:club-propose":               (200, 200, 200, 200, 200, 200, 200),  # form errors
    "clubs:club-propose-done":          (405, 405, 405, 405, 405, 405, 405),
    "certificates:certificate-reissue":           (302, 302, 302, 302, 403, 403, 404),
    "resilience:threat-review":         (302, 302, 302, 403, 403, 404, 404),
    "resilience:survey-answer":         (200, 200, 200, 200, 200, 200, 200),  # form errors
    "resilience:survey-thanks":         (405, 405, 405, 405, 405, 405, 405),
    "dashboards:report-list":           (302, 200, 200, 403, 403, 404, 404),  # form errors
    "dashboards:refresh":               (302, 302, 403, 403, 403, 403, 403),
}
# fmt: on


def url_names(patterns=None, namespace=None, outer_kwargs=()):
    """Yield ("namespace:name", kwarg names) for every named URL pattern, with the kwargs
    of the includes it sits in (allauth's "keys/<int:pk>/" + "remove/")."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            kwargs = (*outer_kwargs, *pattern.pattern.regex.groupindex)
            yield from url_names(pattern.url_patterns, ns, kwargs)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, sorted({*outer_kwargs, *pattern.pattern.regex.groupindex})


def portal_url_names() -> dict[str, list[str]]:
    return {name: kw for name, kw in url_names() if not name.startswith("admin:")}


def admin_url_names() -> dict[str, list[str]]:
    return {name: kw for name, kw in url_names() if name.startswith("admin:")}


def test_every_url_has_a_row():
    assert set(portal_url_names()) == set(EXPECTED)


def test_every_row_names_a_url():
    assert set(EXPECTED_POST) <= set(EXPECTED)
    for row in (*EXPECTED.values(), *EXPECTED_POST.values()):
        assert len(row) == len(ROLES)


# URLs whose kwarg must name another of the world's objects than the one of that name
# (both import-job pages take `job_pk`; each needs a job of its own kind).
KWARG_SOURCES = {"members:roster-import-job": {"job_pk": "roster_job_pk"}}


def _url_for(world, name: str) -> str:
    kwarg_names = portal_url_names()[name]
    sources = KWARG_SOURCES.get(name, {})
    keys = {k: sources.get(k, k) for k in kwarg_names}
    unknown = set(keys.values()) - set(world.kwargs)
    assert not unknown, f"{name}: the world has no value for URL kwargs {unknown}"
    return reverse(name, kwargs={k: world.kwargs[key] for k, key in keys.items()})


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_access(client, world, name, role):
    url = _url_for(world, name)
    if world.users[role]:
        client.force_login(world.users[role])
    expected = EXPECTED[name][ROLES.index(role)]
    assert client.get(url).status_code == expected, f"GET {url} as {role}"
    expected_post = EXPECTED_POST.get(name, (None,) * len(ROLES))[ROLES.index(role)]
    if expected_post is None and expected in (302, 403, 404):
        expected_post = expected  # a refused GET means a refused POST
    if expected_post is not None:
        assert client.post(url).status_code == expected_post, f"POST {url} as {role}"


ADMIN_KWARGS = {
    "app_label": "clubs",
    "object_id": "1",
    "content_type_id": "1",
    "url": "x",
    "id": "1",
}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "national"])
def test_admin_is_closed_to_everyone_but_national_staff(client, world, role):
    if world.users[role]:
        client.force_login(world.users[role])
    for name, kwarg_names in admin_url_names().items():
        if name == "admin:logout":
            continue
        url = reverse(name, kwargs={k: ADMIN_KWARGS[k] for k in kwarg_names})
        response = client.get(url)
        assert response.status_code in (302, 403, 404), f"{name} as {role}"
        if response.status_code == 302:
            assert "/admin/" not in response["Location"] or "login" in response["Location"]


# Evidence that is appended by services and never added by hand, not even in the admin.
READ_ONLY_ADMIN_ADD = {
    "admin:members_consent_add",
    "admin:members_guardianconsent_add",
    "admin:members_membershipstatuschange_add",
    "admin:members_personaldataaccess_add",
    "admin:certificates_certificate_add",
}


def test_admin_pages_open_for_national_staff(client, world):
    client.force_login(world.users["national"])
    for name, kwarg_names in admin_url_names().items():
        if kwarg_names or name in ("admin:logout", "admin:autocomplete"):
            continue  # autocomplete answers 403 without its query parameters
        response = client.get(reverse(name))
        if name in READ_ONLY_ADMIN_ADD:
            assert response.status_code == 403, name
            continue
        assert response.status_code in (200, 302), name
        if name.endswith("_changelist") or name == "admin:index":
            assert response.status_code == 200, name


def test_no_row_is_written_twice():
    """A dict literal keeps the last of two equal keys silently: a row pasted into the
    wrong table would replace another row and never be tested itself."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Dict):
            keys = [key.value for key in node.value.keys if isinstance(key, ast.Constant)]
            repeated = sorted({key for key in keys if keys.count(key) > 1})
            assert not repeated, f"{node.target.id}: rows written twice: {repeated}"
