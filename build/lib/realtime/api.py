"""Notifications, preferences, announcements and job progress over the tenant API."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsTenantAdmin, IsTenantMember, is_staff_member
from realtime import kinds, services
from realtime.announcements import queue_announcement
from realtime.jobs import serialize as serialize_job
from realtime.links import is_site_path
from realtime.models import Job, Notification
from realtime.pagination import UnreadFirstCursorPagination


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.BooleanField(source="is_read", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created", "read", "read_at"]
        read_only_fields = fields


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    """The signed-in user's own notifications, unread first (cursor pagination).

    A client that was offline catches up here: pushes over the websocket are hints only.
    """

    serializer_class = NotificationSerializer
    permission_classes = [IsTenantMember]
    pagination_class = UnreadFirstCursorPagination
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Notification.objects.none()
        notifications = Notification.objects.filter(recipient=self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            notifications = notifications.filter(is_read=False)
        return notifications

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response.data["unread"] = services.unread_count(request.user.pk)
        return response

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        if not str(pk).isdigit() or not services.mark_read(request.user, int(pk)):
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=inline_serializer(
        "ReadAll", {"updated": serializers.IntegerField()}))
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"updated": services.mark_all_read(request.user)})


class PreferenceSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField(read_only=True)
    in_app = serializers.BooleanField()
    email = serializers.BooleanField()


def audience_of(user) -> str:
    return kinds.STAFF if is_staff_member(user) else kinds.CUSTOMERS


class PreferencesView(APIView):
    """Which kinds of notification the user gets in the app and by e-mail."""

    permission_classes = [IsTenantMember]

    def _current(self, user):
        return [{"kind": kind.code, "label": str(kind.label), "in_app": in_app, "email": email}
                for kind, in_app, email in services.preferences_of(user, audience_of(user))]

    @extend_schema(responses=PreferenceSerializer(many=True))
    def get(self, request):
        return Response(self._current(request.user))

    @extend_schema(request=PreferenceSerializer(many=True),
                   responses=PreferenceSerializer(many=True))
    def put(self, request):
        serializer = PreferenceSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        known = {kind.code for kind in kinds.for_audience(audience_of(request.user))}
        unknown = sorted({row["kind"] for row in serializer.validated_data} - known)
        if unknown:
            return Response({"kind": [f"Unknown kind: {code}" for code in unknown]},
                            status=status.HTTP_400_BAD_REQUEST)
        services.set_preferences(request.user, audience_of(request.user), {
            row["kind"]: (row["in_app"], row["email"]) for row in serializer.validated_data})
        return Response(self._current(request.user))


class AnnouncementSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=[kinds.STAFF, kinds.CUSTOMERS],
                                       default=kinds.STAFF)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=5000, required=False, allow_blank=True,
                                 default="")
    link = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate_link(self, value):
        # Links stay on this tenant's own site: a path, never another host.
        if value and not is_site_path(value):
            raise serializers.ValidationError("Use a path on this site, such as /app/.")
        return value


class AnnouncementView(APIView):
    """A tenant admin's announcement to all staff or all portal customers (a background job)."""

    permission_classes = [IsTenantAdmin]

    @extend_schema(request=AnnouncementSerializer, responses={202: dict})
    def post(self, request):
        serializer = AnnouncementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = queue_announcement(request.user, serializer.validated_data)
        return Response(serialize_job(job), status=status.HTTP_202_ACCEPTED)


class JobView(APIView):
    """Progress and result of one of the user's own background jobs."""

    permission_classes = [IsTenantMember]

    @extend_schema(responses=dict)
    def get(self, request, pk):
        job = get_object_or_404(Job, pk=pk, owner=request.user)
        return Response(serialize_job(job))
