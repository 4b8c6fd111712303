"""Template filter keeping notification links to paths on the current site."""

from django import template

from realtime.links import is_site_path

register = template.Library()


@register.filter
def site_path(link) -> str:
    """The link when it is a path on this site, else "" (so no href is rendered)."""
    return link if is_site_path(link) else ""
