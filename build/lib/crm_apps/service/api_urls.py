"""URLs of the service desk API (/api/v1/tickets/, canned replies, assignment rules)."""

from rest_framework.routers import SimpleRouter

from crm_apps.service.api import CannedReplyViewSet, TicketAssignmentRuleViewSet, TicketViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("canned-replies", CannedReplyViewSet, basename="canned-reply")
router.register("ticket-assignment-rules", TicketAssignmentRuleViewSet,
                basename="ticket-assignment-rule")

urlpatterns = router.urls
