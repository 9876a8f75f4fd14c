"""A NUL byte anywhere in a request answers 400 from one middleware (issue #13), never 500.

Walks every URL of the access sweep with a NUL injected into the path, the query string
and a form body, signed out and signed in as national staff (who reach the most views).
"""

import pytest
from django.urls import reverse

from tests.test_url_access import EXPECTED, _url_for

NAMED_IN_THE_ISSUE = [
    "/training/instructors/?q=%00",
    "/verify/%00/",
    "/resilience/pulse/%00/",
    "/training/ical/%00.ics",
    "/clubs/invitations/accept/%00/",
    "/dashboards/voivodeships/%00/",
]


def with_nul_in_path(url: str) -> str:
    path, _, query = url.partition("?")
    path = path[:-1] + "%00/" if path.endswith("/") else path + "%00"
    return f"{path}?{query}" if query else path


@pytest.mark.parametrize("url", NAMED_IN_THE_ISSUE)
def test_the_urls_that_answered_500_answer_400(client, world, url):
    client.force_login(world.users["national"])
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_nul_byte_in_any_url_answers_400(client, world, name):
    url = _url_for(world, name)
    separator = "&" if "?" in url else "?"
    for signed_in in (False, True):
        if signed_in:
            client.force_login(world.users["national"])
        who = "national" if signed_in else "anonymous"
        assert client.get(with_nul_in_path(url)).status_code == 400, f"path {url} as {who}"
        assert client.get(f"{url}{separator}q=%00").status_code == 400, f"query {url} as {who}"
        response = client.post(url, {"q": "x\x00y", "name": "Klub"})
        assert response.status_code == 400, f"POST {url} as {who}"


def test_the_answer_is_in_the_visitors_language(client, db):
    response = client.get("/verify/%00/", HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 400
    assert "znak NUL" in response.content.decode()


def test_a_request_without_nul_passes(client, world):
    client.force_login(world.users["national"])
    assert client.get(reverse("training:instructor-list") + "?q=Kowalski").status_code == 200
