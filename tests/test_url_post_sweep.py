"""The access sweep, second half: every URL whose GET answers 200 is POSTed a valid-looking
body, for every role, and nothing of another club may change (issue #13, "Done when").

The body is the page's own form as the browser would send it untouched: every field with
its initial value, the first option of a select, checked boxes. Before and after, every
row that belongs to the guarded club or gmina (through a `club` or `municipality` field,
or a member's membership) is read in full; the two snapshots must be equal. The guarded
side is the other club (Sieradz) for everyone, except for the outsider, who leads Sieradz
and so is checked against the world's club and gmina. National staff are left out: the
whole country is theirs.
"""

from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.utils import timezone

from resilience.models import ProblemCase, Survey
from tests import factories
from tests.conftest import ROLES
from tests.test_url_access import EXPECTED, _url_for

# URLs that end the client's session, or are allauth's own POST-only flows: nothing of a
# club is behind them, and signing out would turn the rest of the request into anonymous.
NOT_POSTED = {"account_logout", "admin:logout"}

CASES = [
    (name, role)
    for name, row in sorted(EXPECTED.items())
    for role, status in zip(ROLES, row, strict=True)
    if status == 200 and role != "national" and name not in NOT_POSTED
]


class FormFields(HTMLParser):
    """The fields of a page's POST forms, as a browser would submit them untouched."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if (attrs.get("method") or "get").lower() == "post":
                self._form = {"action": attrs.get("action") or "", "data": {}, "text": set()}
                self.forms.append(self._form)
            return
        if self._form is None or attrs.get("disabled") is not None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form["data"].setdefault(name, []).append(attrs.get("value") or "on")
                elif kind == "radio" and name not in self._form["data"]:
                    self._form["data"][name] = [attrs.get("value") or "on"]  # pick one
                return
            self._form["data"].setdefault(name, []).append(attrs.get("value") or "")
            if kind == "text" and "pattern" not in attrs and attrs.get("value"):
                self._form["text"].add(name)
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select:
            value = attrs.get("value") or ""
            if self._select_first is None and value:
                self._select_first = value
            if "selected" in attrs:
                self._form["data"].setdefault(self._select, []).append(value)
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea = name
            self._form["data"][name] = [""]
            self._form["text"].add(name)

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["data"][self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select and self._form is not None:
            if not self._select_chosen and self._select_first is not None:
                self._form["data"][self._select] = [self._select_first]
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def post_bodies(html: str, url: str) -> list[dict]:
    """The bodies of the page's POST forms that submit to the page itself: each form as it
    stands, then with its free-text fields edited, so that a valid save really writes."""
    parser = FormFields()
    parser.feed(html)
    path = url.split("?")[0]
    bodies = []
    for form in parser.forms:
        if form["action"] not in ("", url, path, "?", "."):
            continue
        bodies.append(form["data"])
        if form["text"]:
            edited = {k: [f"{v} (edited)" for v in vs] for k, vs in form["data"].items()}
            bodies.append({**form["data"], **{k: edited[k] for k in form["text"]}})
    return bodies or [{}]


def _guarded_rows(club, gmina) -> dict[str, list]:
    """Every row that belongs to `club` or `gmina`, field by field."""
    from clubs.models import Club, Municipality
    from members.models import Member

    snapshot = {}
    for model in apps.get_models():
        manager = model._default_manager
        names = {f.name for f in model._meta.get_fields()}
        if model is Club:
            rows = manager.filter(pk=club.pk)
        elif model is Municipality:
            rows = manager.filter(pk=gmina.pk)
        elif model is Member:
            rows = manager.filter(memberships__club=club).distinct()
        elif "club" in names and model._meta.get_field("club").is_relation:
            rows = manager.filter(club=club)
        elif "municipality" in names and model._meta.get_field("municipality").is_relation:
            rows = manager.filter(municipality=gmina)
        else:
            continue
        snapshot[model._meta.label] = list(rows.order_by("pk").values())
    return snapshot


def _furnish_other_club(world) -> None:
    """Give the other club what the world's club has, so there is something to change."""
    club, gmina = world.other_club, world.other_municipality
    outsider = world.users["outsider"]
    member = factories.member_of(club, email="sieradz.member@kos.example")
    partner = factories.PartnerFactory(name="OSP Sieradz", municipality=gmina)
    club.partner_links.create(partner=partner, role="siedziba")
    instructor = factories.InstructorProfileFactory(
        user=factories.instructor_of(club, email="sieradz.instructor@kos.example")
    )
    session = factories.session_with_meeting(
        club=club, instructor=instructor, course=world.objects["course"]
    )
    factories.EnrolmentFactory(session=session, member=member)
    threat = factories.ThreatFactory(municipality=gmina, owner=outsider)
    factories.ExerciseFactory(
        club=club,
        threat=threat,
        status="held",
        starts_at=timezone.now() - timedelta(days=3),
        created_by=outsider,
    )
    case = ProblemCase.objects.create(municipality=gmina, club=club, title="Sieradz", diagnosis="")
    case.indicators.create(name="Zgłoszenia", baseline=3, target=1).measurements.create(
        measured_on=date.today(), value=2
    )
    Survey.objects.create(municipality=gmina, club=club, kind=Survey.Kind.PERIODIC, title="S")


@pytest.mark.parametrize(("name", "role"), CASES)
def test_posting_a_page_its_own_form_changes_nothing_of_another_club(client, world, name, role):
    _furnish_other_club(world)
    if role == "outsider":
        guarded = (world.club, world.municipality)
    else:
        guarded = (world.other_club, world.other_municipality)
    url = _url_for(world, name)
    user = world.users[role]
    if user:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, f"GET {url} as {role}"
    html = response.content.decode() if "html" in response.get("Content-Type", "") else ""
    before = _guarded_rows(*guarded)

    for body in post_bodies(html, url):
        client.post(url, body)
        if user:
            client.force_login(user)  # a form may have signed the user out

    assert _guarded_rows(*guarded) == before, f"POST {url} as {role} changed another club"


def test_the_sweep_sees_a_write_when_there_is_one(client, world):
    """The check above is worth something only if its bodies really save: the leader's
    own club, edited through the same bodies, does change."""
    url = _url_for(world, "clubs:club-edit")
    client.force_login(world.users["leader"])
    before = _guarded_rows(world.club, world.municipality)
    for body in post_bodies(client.get(url).content.decode(), url):
        client.post(url, body)
    after = _guarded_rows(world.club, world.municipality)
    assert after["clubs.Club"] != before["clubs.Club"]
