"""The API where a staff user lists, creates and revokes their personal tokens."""

from django.utils import timezone
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.models import PersonalToken
from core.permissions import IsTenantStaff
from core.tokens import issue


class PersonalTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = PersonalToken
        fields = ["id", "name", "prefix", "created", "last_used", "revoked"]
        read_only_fields = ["prefix", "created", "last_used", "revoked"]


class PersonalTokenViewSet(mixins.ListModelMixin, mixins.CreateModelMixin,
                           mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The signed-in staff user's own tokens: list, create (the key is shown once), revoke."""

    serializer_class = PersonalTokenSerializer
    permission_classes = [IsTenantStaff]
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PersonalToken.objects.none()
        return PersonalToken.objects.filter(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = issue(request.user, serializer.validated_data["name"])
        return Response({**PersonalTokenSerializer(token).data, "key": key},
                        status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        # Revoked, not deleted: the list keeps showing when and that it was revoked.
        if instance.revoked is None:
            instance.revoked = timezone.now()
            instance.save(update_fields=["revoked"])
