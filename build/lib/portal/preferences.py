"""Whether a contact wants an e-mail of a given kind (reply, status change, order update)."""

REPLY = "reply"
STATUS = "status"
ORDER = "order"

_FIELD_OF_KIND = {REPLY: "email_on_reply", STATUS: "email_on_status", ORDER: "email_on_order"}


def wants_email(contact, kind: str) -> bool:
    """True unless the contact switched this kind off in the portal profile (or has no
    address to write to). ``kind`` is one of REPLY, STATUS, ORDER."""
    if kind not in _FIELD_OF_KIND:
        raise ValueError(f"Unknown e-mail kind: {kind!r}")
    if contact is None or not contact.email:
        return False
    from portal.models import PortalPreferences

    chosen = (PortalPreferences.objects.filter(contact=contact)
              .values_list(_FIELD_OF_KIND[kind], flat=True).first())
    return True if chosen is None else bool(chosen)
