"""Links that notifications carry, kept to paths on the current site."""

from django.utils.http import url_has_allowed_host_and_scheme


def is_site_path(link: str) -> bool:
    """A path on this site: starts with "/" and names no other host, also the way a browser
    reads it ("//host", "/\\host" and "/<tab>/host" all lead elsewhere)."""
    return (isinstance(link, str) and link.startswith("/")
            and url_has_allowed_host_and_scheme(link, allowed_hosts=None))
