"""The one place that decides who sees what and who may do what.

Roles are rows (`clubs.Assignment`) and only this module reads them. Every queryset that
holds club data is narrowed by a `scope_*` function here, through the models'
`visible_to(user)`, and every action is checked by `RoleBackend.has_perm` / `require`,
which use the same scope. So what a user can list and what they can act on never disagree:

- an object outside the user's scope is never found (views answer 404);
- an object in scope but an action the role may not take raises PermissionDenied (403).

Superusers are treated as national staff; they exist for operations work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet

from kos_portal.roles import INVITABLE_BY, PRIVILEGED_ROLES, Role

ALL_ROLES = frozenset(Role)
# Roles that see members' personal data club-wide. Instructors see only the people enrolled
# in the sessions they teach (training issue), members only themselves.
PERSONAL_DATA_ROLES = frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER})
STAFF_ROLES = frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER})

# Permission -> roles that may take the action on an object in their scope.
RULES: dict[str, frozenset[str]] = {
    "clubs.view_club": ALL_ROLES,
    "clubs.change_club": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "clubs.add_club": frozenset({Role.NATIONAL, Role.COORDINATOR}),
    "clubs.change_status": frozenset({Role.NATIONAL, Role.COORDINATOR}),
    # Leaders may remove a co-leader, or hand their club over to a successor.
    "clubs.manage_leaders": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "clubs.view_partner": ALL_ROLES,
    # A leader adds partners in their club's gmina and links them to their club.
    "clubs.change_partner": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "clubs.import_partners": frozenset({Role.NATIONAL, Role.COORDINATOR}),
    "clubs.change_partnerlink": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    # Agreements (dates, documents) are for staff with access to the link's club.
    "clubs.view_agreement": STAFF_ROLES,
    "clubs.invite": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    # Starter pack: national staff keep the library; club staff read their club's pack and
    # its leaders (with coordinators and national staff) take it all as one zip.
    "clubs.manage_starter_pack": frozenset({Role.NATIONAL}),
    "clubs.view_starter_pack": frozenset(
        {Role.NATIONAL, Role.COORDINATOR, Role.LEADER, Role.INSTRUCTOR}
    ),
    "clubs.download_starter_pack": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "members.view_member": PERSONAL_DATA_ROLES,
    "members.change_member": PERSONAL_DATA_ROLES,
    "members.register_member": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "members.change_membership": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "members.view_access_log": frozenset({Role.NATIONAL}),
    "members.import_members": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    # Invite a member (or a minor's guardian) to log in: members.services.logins.
    "members.invite_login": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    # Erasure is per person: the right on any one of the person's clubs is enough.
    "members.erase_member": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "kos_portal.view_national": frozenset({Role.NATIONAL}),
    # Training catalogue and instructors. Instructor profiles have no club of their own:
    # training.services.instructors.instructor_action_allowed asks these per club the
    # instructor is assigned to.
    "training.manage_catalogue": frozenset({Role.NATIONAL}),
    "training.view_instructor": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    # Qualifications and the safeguarding checks for minors.
    "training.verify_qualification": frozenset({Role.NATIONAL, Role.COORDINATOR}),
    # Instructors of the session (others never see it), club leaders and national staff.
    "training.record_attendance": frozenset({Role.NATIONAL, Role.LEADER, Role.INSTRUCTOR}),
    # Sessions: club staff schedule, cancel and enrol; instructors may also edit, but reach
    # only the sessions they teach (Session.objects.visible_to).
    "training.schedule_session": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "training.enrol": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "training.edit_session": frozenset(
        {Role.NATIONAL, Role.COORDINATOR, Role.LEADER, Role.INSTRUCTOR}
    ),
    # Certificates: club staff with personal-data access; members see their own through
    # Certificate.objects.visible_to, never through a rule.
    "certificates.view_certificate": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "certificates.reissue": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "certificates.revoke": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "certificates.bulk_download": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    # Resilience: the gmina keeps its threat register; its clubs' staff read it. A leader
    # plans and reviews their club's exercises; gmina-level ones are for coordinators and
    # national staff (object_in_scope: a leader reaches a gmina-level row only through the
    # gmina, which resilience.services.exercises refuses for planning and reviews).
    "resilience.view_resilience": ALL_ROLES,
    "resilience.manage_threats": frozenset({Role.NATIONAL, Role.COORDINATOR}),
    "resilience.plan_exercise": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "resilience.review_exercise": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    # Local problem cases: club staff, not instructors (cases name people and partners).
    # A leader manages their club's cases; gmina-level cases are for coordinators and
    # national staff, which resilience.services.cases enforces with a message.
    "resilience.view_cases": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "resilience.manage_cases": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    # Trust pulse: the same staff make surveys and read results (answers are anonymous;
    # small groups stay hidden). Gmina-level surveys: coordinators and national staff.
    "resilience.view_pulse": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    "resilience.manage_surveys": frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER}),
    # Dashboards: the country and its voivodeships and powiats for national staff; a gmina's
    # dashboard and yearly report for its coordinators too; a club's for the club's staff.
    # Objects are reached through scope_* first (outside scope: 404), as everywhere.
    "dashboards.view_national": frozenset({Role.NATIONAL}),
    "dashboards.view_gmina": frozenset({Role.NATIONAL, Role.COORDINATOR}),
    "dashboards.view_club": STAFF_ROLES,
    "dashboards.search": STAFF_ROLES,
    "dashboards.request_report": frozenset({Role.NATIONAL, Role.COORDINATOR}),
}


@dataclass(frozen=True)
class UserScope:
    """Everything the access rules need about one user, read with a single query."""

    national: bool = False
    roles: frozenset[str] = frozenset()
    # role -> gmina ids held directly (coordinators)
    municipality_ids: dict[str, frozenset[int]] = field(default_factory=dict)
    # role -> club ids held directly (leaders, instructors)
    club_ids: dict[str, frozenset[int]] = field(default_factory=dict)
    # role -> gminas of the clubs held (leaders and instructors see their gmina's shared data)
    club_municipality_ids: dict[str, frozenset[int]] = field(default_factory=dict)
    # gmina held directly (coordinators) -> the clubs in it, read with the assignments
    gmina_club_ids: dict[int, frozenset[int]] = field(default_factory=dict)

    def gminas_for(self, roles) -> set[int]:
        ids: set[int] = set()
        for role in roles:
            ids |= self.municipality_ids.get(role, frozenset())
        return ids

    def clubs_for(self, roles) -> set[int]:
        ids: set[int] = set()
        for role in roles:
            ids |= self.club_ids.get(role, frozenset())
        return ids

    def club_gminas_for(self, roles) -> set[int]:
        ids: set[int] = set()
        for role in roles:
            ids |= self.club_municipality_ids.get(role, frozenset())
        return ids

    def is_national_for(self, roles) -> bool:
        return self.national and Role.NATIONAL in roles

    def clubs_in_gminas(self, gminas) -> list[int]:
        """The clubs of the coordinator's `gminas` (no query: read with the assignments).

        A coordinator's rows are then "club_id IN (...)", which PostgreSQL answers from an
        index even when ORed with the user's own rows; "club__municipality_id IN (...)"
        needs a join to clubs, and ORed it read all 500,000 certificates (0.3 s).
        """
        clubs: set[int] = set()
        for gmina in gminas:
            clubs |= self.gmina_club_ids.get(gmina, frozenset())
        return sorted(clubs)


EMPTY_SCOPE = UserScope()


def user_scope(user) -> UserScope:
    """The user's active role assignments, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, "_kos_scope", None)
    if cached is not None:
        return cached
    from clubs.models import Assignment

    rows = (
        Assignment.objects.active()
        .filter(user=user)
        # A coordinator's row comes once per club of the gmina (clubs_in_gminas).
        .values_list(
            "role", "municipality_id", "club_id", "club__municipality_id", "municipality__clubs"
        )
    )
    roles: set[str] = set()
    gminas: dict[str, set[int]] = {}
    clubs: dict[str, set[int]] = {}
    club_gminas: dict[str, set[int]] = {}
    gmina_clubs: dict[int, set[int]] = {}
    for role, municipality_id, club_id, club_municipality_id, gmina_club_id in rows:
        roles.add(role)
        if municipality_id:
            gminas.setdefault(role, set()).add(municipality_id)
            if gmina_club_id:
                gmina_clubs.setdefault(municipality_id, set()).add(gmina_club_id)
        if club_id:
            clubs.setdefault(role, set()).add(club_id)
            club_gminas.setdefault(role, set()).add(club_municipality_id)
    national = Role.NATIONAL in roles or user.is_superuser
    if user.is_superuser:
        roles.add(Role.NATIONAL)
    scope = UserScope(
        national=national,
        roles=frozenset(roles),
        municipality_ids={k: frozenset(v) for k, v in gminas.items()},
        club_ids={k: frozenset(v) for k, v in clubs.items()},
        club_municipality_ids={k: frozenset(v) for k, v in club_gminas.items()},
        gmina_club_ids={k: frozenset(v) for k, v in gmina_clubs.items()},
    )
    user._kos_scope = scope
    return scope


def forget_scope(user) -> None:
    """Drop the cached scope after the user's assignments change."""
    if hasattr(user, "_kos_scope"):
        del user._kos_scope


def has_role(user, role: str) -> bool:
    """Whether the user holds `role` anywhere."""
    return role in user_scope(user).roles


def is_national(user) -> bool:
    """National staff (or an operations superuser): the whole country."""
    return user_scope(user).national


def is_privileged(user) -> bool:
    """Roles that must use two-factor authentication and whose sessions expire when idle."""
    return bool(user_scope(user).roles & PRIVILEGED_ROLES)


# --- Querysets -------------------------------------------------------------------------


def _club_condition(scope: UserScope, roles, prefix: str) -> Q | None:
    """Q for club rows reached through `prefix` (e.g. "" for Club, "club__" for others).

    None means "everything" (national staff).
    """
    if scope.is_national_for(roles):
        return None
    condition = Q(pk__in=[]) if prefix == "" else Q(**{f"{prefix}id__in": []})
    gminas = scope.gminas_for(roles & {Role.COORDINATOR})
    clubs = scope.clubs_for(roles - {Role.COORDINATOR, Role.NATIONAL})
    if gminas and prefix == "":
        condition |= Q(municipality_id__in=sorted(gminas))
    elif gminas:
        condition |= Q(**{f"{prefix}id__in": scope.clubs_in_gminas(gminas)})
    if clubs:
        key = "pk__in" if prefix == "" else f"{prefix}id__in"
        condition |= Q(**{key: sorted(clubs)})
    return condition


def scope_clubs(queryset: QuerySet, user, roles=None) -> QuerySet:
    """Clubs the user reaches through any of `roles` (all roles by default)."""
    roles = frozenset(roles) if roles is not None else ALL_ROLES
    scope = user_scope(user)
    if not scope.roles:
        return queryset.none()
    condition = _club_condition(scope, roles, "")
    return queryset if condition is None else queryset.filter(condition)


def scope_club_objects(queryset: QuerySet, user, roles=None, members_own: bool = False):
    """Rows with a `club` field, in clubs the user reaches through `roles`.

    `members_own`: rows with a `member` field that are the user's own (a member's own
    membership or certificate), which they always see.
    """
    roles = frozenset(roles) if roles is not None else ALL_ROLES
    scope = user_scope(user)
    own = own_member_rows(user) if members_own else None
    if not scope.roles:
        return queryset.filter(own) if own is not None else queryset.none()
    condition = _club_condition(scope, roles, "club__")
    if condition is None:
        return queryset
    return queryset.filter(condition | own if own is not None else condition)


def own_member_rows(user) -> Q | None:
    """Rows of the user's own member record (`member_id = ...`); None when they have none.

    The key, read through `user.member` (which the navigation reads anyway and Django
    caches on the user), rather than a join to members: ORed with a club condition, the
    join made PostgreSQL read every row (0.5 s over 500,000 certificates), while a key lets
    it combine two index scans; staff who are not members get no OR at all.
    """
    ids = own_member_ids(user)
    if not ids:
        return None
    return Q(member_id=ids[0]) if len(ids) == 1 else Q(member_id__in=ids)


def own_member_ids(user) -> list[int]:
    """The people whose rows are the user's own: their member record and, for a guardian,
    the people they are guardian of (members.Guardianship). Cached on the user.

    Guardians see their children's own rows (memberships, enrolments, certificates, the
    sessions they are in) exactly as the children would with a login of their own.
    """
    if user is None or not user.is_authenticated:
        return []
    cached = getattr(user, "_kos_own_members", None)
    if cached is not None:
        return cached
    member = getattr(user, "member", None)  # RelatedObjectDoesNotExist is an AttributeError
    ids = [member.pk] if member is not None else []
    ids += [pk for pk in guarded_member_ids(user) if pk not in ids]
    user._kos_own_members = ids
    return ids


def guarded_member_ids(user) -> list[int]:
    """The people the user is guardian of (members.Guardianship), cached on the user."""
    if user is None or not user.is_authenticated:
        return []
    cached = getattr(user, "_kos_guarded", None)
    if cached is None:
        # Through the reverse relation: access never imports members.
        cached = sorted(user.guardianships.values_list("member_id", flat=True))
        user._kos_guarded = cached
    return cached


def forget_own_members(user) -> None:
    """Drop the cached own and guarded people after a login or guardianship changes."""
    for name in ("_kos_own_members", "_kos_guarded"):
        if hasattr(user, name):
            delattr(user, name)


def scope_municipalities(queryset: QuerySet, user, roles=None) -> QuerySet:
    """Gminas the user works in: coordinators' gminas, and the gminas of their clubs."""
    roles = frozenset(roles) if roles is not None else ALL_ROLES
    scope = user_scope(user)
    if not scope.roles:
        return queryset.none()
    if scope.is_national_for(roles):
        return queryset
    ids = scope.gminas_for(roles) | scope.club_gminas_for(roles)
    return queryset.filter(pk__in=sorted(ids))


def scope_gmina_objects(queryset: QuerySet, user, roles=None) -> QuerySet:
    """Rows with a `municipality` field (partners, threats) in the user's gminas."""
    roles = frozenset(roles) if roles is not None else ALL_ROLES
    scope = user_scope(user)
    if not scope.roles:
        return queryset.none()
    if scope.is_national_for(roles):
        return queryset
    ids = scope.gminas_for(roles) | scope.club_gminas_for(roles)
    return queryset.filter(municipality_id__in=sorted(ids))


def scope_members(queryset: QuerySet, user) -> QuerySet:
    """People whose personal data the user may see: members of their clubs, and themselves."""
    if user is None or not user.is_authenticated:
        return queryset.none()
    from members.models import Membership

    scope = user_scope(user)
    if scope.is_national_for(PERSONAL_DATA_ROLES):
        return queryset
    visible = Q(user=user)
    guarded = guarded_member_ids(user)
    if guarded:  # a guardian sees the people they are guardian of
        visible |= Q(pk__in=guarded)
    if scope.roles & PERSONAL_DATA_ROLES:
        condition = _club_condition(scope, PERSONAL_DATA_ROLES, "club__")
        visible |= Exists(Membership.objects.filter(condition, member=OuterRef("pk")))
    if Role.INSTRUCTOR in scope.roles:
        for extension in INSTRUCTOR_MEMBER_VISIBILITY:
            visible |= extension(user)
    return queryset.filter(visible)


# Higher apps widen what instructors see without this module importing them: training
# registers "people enrolled in the sessions this user teaches" here (TrainingConfig.ready).
# Each entry takes the user and returns a Q on Member.
INSTRUCTOR_MEMBER_VISIBILITY: list = []


def scope_invitations(queryset: QuerySet, user) -> QuerySet:
    """Invitations into scopes the user may invite to, and those they sent."""
    scope = user_scope(user)
    if not scope.roles & INVITING_ROLES:
        return queryset.none()
    if scope.national:
        return queryset
    gminas = sorted(scope.gminas_for({Role.COORDINATOR}))
    clubs = sorted(scope.clubs_for({Role.LEADER}))
    return queryset.filter(
        Q(invited_by=user)
        | Q(club__municipality_id__in=gminas)
        | Q(municipality_id__in=gminas)
        | Q(club_id__in=clubs)
    )


INVITING_ROLES = frozenset(r for r, invitable in INVITABLE_BY.items() if invitable)


# --- Object permissions --------------------------------------------------------------


def _municipality_of(obj) -> int | None:
    municipality_id = getattr(obj, "municipality_id", None)
    if municipality_id is None and getattr(obj, "club_id", None) is not None:
        municipality_id = obj.club.municipality_id
    return municipality_id


def object_in_scope(user, obj, roles) -> bool:
    """Whether `obj` (a club, a gmina or anything with `club_id`/`municipality_id`) is
    within the part of the user's scope that `roles` give."""
    roles = frozenset(roles)
    scope = user_scope(user)
    if not scope.roles & roles:
        return False
    if scope.is_national_for(roles):
        return True
    club_id = getattr(obj, "club_id", None)
    municipality_id = _municipality_of(obj)
    if club_id is not None:
        if club_id in scope.clubs_for(roles - {Role.COORDINATOR}):
            return True
        return municipality_id in scope.gminas_for(roles & {Role.COORDINATOR})
    if municipality_id is not None:
        return municipality_id in (scope.gminas_for(roles) | scope.club_gminas_for(roles))
    return False


def can(user, perm: str, obj=None) -> bool:
    """Whether the user may take `perm` on `obj`; without an object, anywhere at all."""
    if user is None or not user.is_active:
        return False
    roles = RULES.get(perm)
    if roles is None:
        # Django's model permissions ("app.change_model") are what the admin asks for:
        # they belong to national staff, the only role with admin access.
        if obj is None and _is_model_permission(perm):
            return is_national(user)
        return False  # an unknown permission is never granted
    if obj is None:
        return bool(user_scope(user).roles & roles)
    return object_in_scope(user, obj, roles)


# Rows of a gmina as a whole (no club: gmina-level exercises, problem cases, surveys): the
# clubs' staff read them, but only the gmina's coordinators and national staff change them.
GMINA_LEVEL_ROLES = frozenset({Role.NATIONAL, Role.COORDINATOR})


def can_on_gmina_or_club(user, perm: str, obj) -> bool:
    """`can` for a row that belongs to a club or to its gmina as a whole (`obj.club_id` is
    None, or `obj` is the gmina): on gmina-level rows only GMINA_LEVEL_ROLES act."""
    if user is None or not user.is_active or perm not in RULES:
        return False
    roles = RULES[perm]
    if getattr(obj, "club_id", None) is None:
        roles = roles & GMINA_LEVEL_ROLES
    return object_in_scope(user, obj, roles)


def _is_model_permission(perm: str) -> bool:
    _, _, codename = perm.partition(".")
    return codename.split("_", 1)[0] in {"add", "change", "delete", "view"}


def require(user, perm: str, obj=None) -> None:
    """Raise PermissionDenied (403) unless the user may take `perm` on `obj`."""
    if not can(user, perm, obj):
        raise PermissionDenied


def invitable_roles(user, target) -> list[str]:
    """Roles the user may invite someone to in `target` (None = the whole country)."""
    scope = user_scope(user)
    allowed: set[str] = set()
    for held in scope.roles:
        for role in INVITABLE_BY.get(held, frozenset()):
            # National staff invite anywhere; others only into targets in their own scope.
            in_scope = target is not None and object_in_scope(user, target, {held})
            if held == Role.NATIONAL or in_scope:
                allowed.add(role)
    if target is None:
        allowed &= {Role.NATIONAL} if scope.national else set()
    elif getattr(target, "club_id", None) is None:  # a gmina takes coordinators only
        allowed &= {Role.COORDINATOR}
    else:  # a club takes leaders and instructors
        allowed &= {Role.LEADER, Role.INSTRUCTOR}
    return [role for role in Role if role in allowed]


class RoleBackend(BaseBackend):
    """Django's permission API answered by the access rules (listed in settings)."""

    def has_perm(self, user_obj, perm, obj=None):
        return can(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label):
        return is_national(user_obj)


def mfa_missing(user) -> bool:
    """A privileged user with neither TOTP nor a security key (WebAuthn) yet: no personal
    data until they set one up. Recovery codes alone don't count: they back up a factor."""
    if not is_privileged(user):
        return False
    cached = getattr(user, "_kos_mfa_missing", None)
    if cached is None:
        from allauth.mfa.models import Authenticator

        factors = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
        cached = not Authenticator.objects.filter(user=user, type__in=factors).exists()
        user._kos_mfa_missing = cached
    return cached


# --- Training --------------------------------------------------------------------------


def scope_sessions(queryset: QuerySet, user) -> QuerySet:
    """Training sessions: by club for national staff, coordinators and leaders; the
    sessions they teach for instructors; the sessions they are enrolled in for members."""
    if user is None or not user.is_authenticated:
        return queryset.none()
    scope = user_scope(user)
    if scope.is_national_for(STAFF_ROLES):
        return queryset
    model = queryset.model
    # Subqueries rather than joins: OR-ing two many-valued joins would duplicate rows.
    visible = Q(pk__in=model.objects.filter(enrolments__member__user=user).values("pk"))
    guarded = guarded_member_ids(user)
    if guarded:  # the sessions a guardian's children are in
        visible |= Q(pk__in=model.objects.filter(enrolments__member_id__in=guarded).values("pk"))
    if scope.roles & STAFF_ROLES:
        visible |= _club_condition(scope, STAFF_ROLES, "club__")
    if Role.INSTRUCTOR in scope.roles:
        visible |= Q(pk__in=model.objects.filter(instructors__user=user).values("pk"))
    return queryset.filter(visible)


def scope_enrolments(queryset: QuerySet, user) -> QuerySet:
    """Enrolments in the sessions the user sees as staff or instructor, and their own."""
    if user is None or not user.is_authenticated:
        return queryset.none()
    scope = user_scope(user)
    if scope.is_national_for(STAFF_ROLES):
        return queryset
    model = queryset.model
    visible = own_member_rows(user) or Q(pk__in=[])
    if scope.roles & STAFF_ROLES:
        visible |= _club_condition(scope, STAFF_ROLES, "club__")
    if Role.INSTRUCTOR in scope.roles:
        visible |= Q(pk__in=model.objects.filter(session__instructors__user=user).values("pk"))
    return queryset.filter(visible)


def scope_certificates(queryset: QuerySet, user) -> QuerySet:
    """Certificates: by club for the personal-data roles, the user's own, and for
    instructors those of the sessions they taught (the people they saw pass)."""
    visible = scope_club_objects(queryset, user, PERSONAL_DATA_ROLES, members_own=True)
    if user is None or not user.is_authenticated:
        return visible
    scope = user_scope(user)
    if Role.INSTRUCTOR not in scope.roles or scope.is_national_for(PERSONAL_DATA_ROLES):
        return visible
    # A subquery, not a join: OR-ing a join over the session's instructors would repeat a
    # certificate once per co-instructor.
    sessions = queryset.model._meta.get_field("session").related_model.objects
    taught = Q(session_id__in=sessions.filter(instructors__user=user).values("pk"))
    return visible | queryset.filter(taught)


def scope_instructors(queryset: QuerySet, user) -> QuerySet:
    """Instructor profiles: all for national staff; those assigned to clubs in a
    coordinator's or leader's scope; an instructor's own."""
    if user is None or not user.is_authenticated:
        return queryset.none()
    scope = user_scope(user)
    if scope.is_national_for(STAFF_ROLES):
        return queryset
    from clubs.models import Assignment

    visible = Q(user=user)
    if scope.roles & STAFF_ROLES:
        in_clubs = Assignment.objects.active().filter(
            _club_condition(scope, STAFF_ROLES, "club__"), role=Role.INSTRUCTOR
        )
        visible |= Q(user_id__in=in_clubs.values("user_id"))
    return queryset.filter(visible)


# --- Resilience --------------------------------------------------------------------------


def scope_gmina_or_club_objects(queryset: QuerySet, user, roles=None) -> QuerySet:
    """Rows with a `municipality` and an optional `club` (exercises, problem cases, surveys).

    Gmina-level rows (no club) are seen by national staff, the gmina's coordinators and the
    leaders and instructors of the gmina's clubs; a club's rows by national staff, the
    gmina's coordinators and that club's people only. One row per object: no joins that
    could duplicate rows.
    """
    roles = frozenset(roles) if roles is not None else ALL_ROLES
    scope = user_scope(user)
    if not scope.roles:
        return queryset.none()
    club_rows = _club_condition(scope, roles, "club__")
    if club_rows is None:
        return queryset
    gminas = scope.gminas_for(roles & {Role.COORDINATOR}) | scope.club_gminas_for(
        roles - {Role.COORDINATOR, Role.NATIONAL}
    )
    gmina_rows = Q(club__isnull=True, municipality_id__in=sorted(gminas))
    return queryset.filter(gmina_rows | club_rows)


# --- Dashboards ----------------------------------------------------------------------------


def scope_area_stats(queryset: QuerySet, user) -> QuerySet:
    """Rollup rows per area: every area for national staff; the rows of their own gminas
    for coordinators; nothing for anyone else (country, voivodeship and powiat numbers are
    national staff's)."""
    scope = user_scope(user)
    if scope.national:
        return queryset
    gminas = scope.gminas_for({Role.COORDINATOR})
    if not gminas:
        return queryset.none()
    return queryset.filter(level="gmina", municipality_id__in=sorted(gminas))
