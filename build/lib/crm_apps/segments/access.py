"""Who works with segments (admins, managers, marketers) and fetching one with that right."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from rest_framework.permissions import BasePermission

from core.permissions import RoleRequiredMixin, has_role
from core.roles import MANAGER, MARKETER, TENANT_ADMIN
from crm_apps.segments.models import Segment

SEGMENT_ROLES = (TENANT_ADMIN, MANAGER, MARKETER)


def may_manage_segments(user) -> bool:
    return has_role(user, *SEGMENT_ROLES)


class SegmentRoleRequiredMixin(RoleRequiredMixin):
    """Back-office pages of segments: login first, then a 403 for other roles."""

    required_roles = SEGMENT_ROLES


class CanManageSegments(BasePermission):
    message = "The admin, manager or marketer role is required."

    def has_permission(self, request, view):
        return may_manage_segments(request.user)


def access_segment(user, pk) -> Segment:
    """The segment ``pk`` of this tenant, or a 404 for a missing one or a user without the
    right (the same answer, so ids reveal nothing)."""
    if not may_manage_segments(user):
        raise Http404
    return get_object_or_404(Segment, pk=pk)
