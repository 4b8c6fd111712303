"""The tenant admin's view of the lead-scoring models under /api/v1/: runs, and retrain now."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from core.api import TenantScopedViewSet
from core.permissions import IsTenantAdmin
from crm_apps.sales import prediction
from crm_apps.sales.models import Lead, LeadScoreModel


class LeadScoreModelSerializer(serializers.ModelSerializer):
    beats_rules = serializers.BooleanField(read_only=True)

    class Meta:
        model = LeadScoreModel
        fields = ["id", "trained_at", "n_samples", "positives", "holdout_size", "auc_model",
                  "auc_rules", "beats_rules", "active", "weights"]
        read_only_fields = fields


class TooLittleHistorySerializer(serializers.Serializer):
    detail = serializers.CharField()
    closed_leads = serializers.IntegerField()
    required = serializers.IntegerField()


class LeadScoreModelFilter(django_filters.FilterSet):
    active = django_filters.BooleanFilter()
    trained_after = django_filters.IsoDateTimeFilter(field_name="trained_at",
                                                     lookup_expr="gte")

    class Meta:
        model = LeadScoreModel
        fields = ["active", "trained_after"]


class Newest(CursorPagination):
    ordering = "-id"


class LeadScoreModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            TenantScopedViewSet):
    """Training runs of this tenant's lead-scoring model, newest first: how many closed leads
    each learnt from, its ROC AUC on held-out leads against the scoring rules', its largest
    weights, and whether it is the one scoring leads (only a run that beats the rules is)."""

    permission_classes = [IsTenantAdmin]
    queryset = LeadScoreModel.objects.defer("estimator")
    serializer_class = LeadScoreModelSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = LeadScoreModelFilter
    pagination_class = Newest

    def scope_queryset(self, queryset):
        return queryset  # tenant admins only, and they see every run of their tenant

    @extend_schema(request=None,
                   responses={201: LeadScoreModelSerializer, 409: TooLittleHistorySerializer})
    @action(detail=False, methods=["post"])
    def retrain(self, request):
        """Train now on this tenant's closed leads and rescore its open leads (the nightly
        job does the same). 409 while there are too few closed leads."""
        run = prediction.train()
        if run is None:
            closed = Lead.objects.filter(status__in=prediction.CLOSED_STATUSES).count()
            return Response(
                {"detail": "Too few closed leads, or too few of one outcome, to learn from.",
                 "closed_leads": closed, "required": prediction.min_closed_leads()},
                status=status.HTTP_409_CONFLICT)
        prediction.score_open_leads()
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)
