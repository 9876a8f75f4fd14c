"""#13: every page and file with people's personal data answers Cache-Control: no-store,
from one rule (kos_portal.no_store), tested over the URLs of the access sweep."""

import pytest

from kos_portal.no_store import NO_STORE_NAMESPACES, NO_STORE_URL_NAMES
from tests.test_url_access import EXPECTED, ROLES, _url_for

NO_STORE = sorted(
    name
    for name in EXPECTED
    if name in NO_STORE_URL_NAMES or name.split(":")[0] in NO_STORE_NAMESPACES
)
# Rosters, member pages, exports and certificate PDFs (the list) are all covered.
MUST = {
    "members:roster",
    "members:roster-export",
    "members:member-detail",
    "members:my-data",
    "members:my-data-json",
    "members:my-data-pdf",
    "certificates:certificate-export",
    "certificates:certificate-download",
    "certificates:session-certificates-pdf",
    "certificates:session-certificates-zip",
    "training:session-detail",
    "dashboards:club-export",
}


def test_the_rule_names_only_urls_that_exist_and_covers_the_personal_data_pages():
    assert set(EXPECTED) >= NO_STORE_URL_NAMES
    assert set(NO_STORE) >= MUST


def _role_with_access(name: str) -> str:
    statuses = EXPECTED[name]
    for role in ("member", "national", "leader", "instructor"):
        if statuses[ROLES.index(role)] == 200:
            return role
    return "national"


@pytest.mark.parametrize("name", NO_STORE)
def test_personal_data_urls_answer_no_store(client, world, name):
    role = _role_with_access(name)
    client.force_login(world.users[role])
    response = client.get(_url_for(world, name))
    assert "no-store" in response.get("Cache-Control", ""), f"{name} as {role}"
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("name", ["home", "clubs:directory", "clubs:public-club"])
def test_public_pages_stay_cacheable(client, world, name):
    response = client.get(_url_for(world, name))
    assert "no-store" not in response.get("Cache-Control", "")
