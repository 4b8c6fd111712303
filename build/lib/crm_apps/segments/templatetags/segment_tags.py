"""``user|may_manage_segments``: whether the navigation shows the segments link."""

from django import template

from crm_apps.segments.access import may_manage_segments as _may_manage_segments

register = template.Library()


@register.filter
def may_manage_segments(user) -> bool:
    return _may_manage_segments(user)
