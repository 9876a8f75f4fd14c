"""The staff's one search box (dashboards.selectors_search)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from dashboards import selectors_search as sel
from kos_portal import access
from members.models import PersonalDataAccess
from members.services.access_log import personal_data_access_log


@login_required
def search(request):
    access.require(request.user, "dashboards.search")
    typed = request.GET.get("q", "")[:100]
    groups = sel.search_for(request.user, typed)
    people = next((g for g in groups if g.key == "members"), None)
    if people and people.rows:
        # Names and emails of people are personal data: a search that shows them is logged
        # like a roster page (what was typed is not: it may be a name).
        personal_data_access_log(
            user=request.user,
            action=PersonalDataAccess.Action.LIST,
            member_count=len(people.rows),
            detail="search",
        )
    context = {
        "q": typed,
        "groups": groups,
        "too_short": bool(typed.strip()) and not groups,
        "found": any(g.rows for g in groups),
    }
    return render(request, "dashboards/search.html", context)
