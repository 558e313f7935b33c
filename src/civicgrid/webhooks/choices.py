"""The events a subscription may choose (the catalogue), and where a delivery is in the outbox."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.choices import Action

# Event type → the moves of the case loop that send it. A redispatch (改派) is a dispatch to the
# department that receives it; approving and refusing an extension are one decision.
EVENT_ACTIONS: dict[str, tuple[str, ...]] = {
    "case.registered": (Action.REGISTER,),
    "case.rejected": (Action.REJECT,),
    "case.dispatched": (Action.DISPATCH, Action.REDISPATCH),
    "case.recalled": (Action.RECALL,),
    "case.accepted": (Action.ACCEPT,),
    "case.returned": (Action.RETURN,),
    "case.extension_requested": (Action.REQUEST_EXTENSION,),
    "case.extension_decided": (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION),
    "case.feedback": (Action.FEEDBACK,),
    "case.verified": (Action.VERIFY,),
    "case.rework": (Action.REWORK,),
    "case.closed": (Action.CLOSE,),
    "case.rated": (Action.RATE,),
    "case.reopened": (Action.REOPEN,),
    "case.supervised": (Action.SUPERVISE,),
}
OVERDUE = "case.overdue"  # a step's time limit passed (cases.tasks.scan_overdue), once per step
TEST = "webhook.test"  # sent on request to check a receiver; never chosen, always allowed
EVENTS: tuple[str, ...] = (*EVENT_ACTIONS, OVERDUE)
EVENT_OF_ACTION: dict[str, str] = {
    action: event for event, actions in EVENT_ACTIONS.items() for action in actions
}


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待投递")  # not tried yet
    FAILED = "failed", _("失败待重试")  # tried, will be tried again at next_attempt_at
    DELIVERED = "delivered", _("已送达")  # the receiver answered 2xx
    DEAD = "dead", _("已放弃")  # every attempt failed, or the subscription was disabled by a 410


DUE_STATES = (DeliveryState.PENDING, DeliveryState.FAILED)
