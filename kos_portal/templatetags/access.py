"""{% can "perm" obj as var %}: templates ask the access rules the same question views do."""

from django import template

from kos_portal import access

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, perm: str, obj=None) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return access.can(user, perm, obj)
