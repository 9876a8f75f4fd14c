"""{% person_home %}: the member's (or guardian's) part of the home page. The home page
belongs to kos_portal, which imports no app; templates are the top floor, so they load
this and the sections come from dashboards.selectors_person."""

from django import template

from dashboards.selectors_person import home_people_for
from members.models import PersonalDataAccess
from members.services.access_log import personal_data_access_log

register = template.Library()


@register.inclusion_tag("dashboards/_person_home.html", takes_context=True)
def person_home(context) -> dict:
    request = context["request"]
    people = home_people_for(request.user)
    for person in people:
        if not person.is_self:  # a guardian reads a child's data: logged as for staff
            personal_data_access_log(
                user=request.user,
                action=PersonalDataAccess.Action.VIEW,
                member=person.member,
                detail="guardian: home",
            )
    return {
        "people": people,
        "user": request.user,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
