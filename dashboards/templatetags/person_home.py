"""{% person_home %}: the member's (or guardian's) part of the home page. The home page
belongs to kos_portal, which imports no app; templates are the top floor, so they load
this and the sections come from dashboards.selectors_person."""

from django import template

from dashboards.selectors_person import home_people_for

register = template.Library()


@register.inclusion_tag("dashboards/_person_home.html", takes_context=True)
def person_home(context) -> dict:
    request = context["request"]
    return {
        "people": home_people_for(request.user),
        "user": request.user,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
