"""Time limits of a work order: 办结时限 by category and 诉求类型 (inherited down the
category tree, falling back to the platform's defaults), 签收时限, and the 重办 limit.

Each is a workflow limit string "<amount> <unit>" (see foundation.workflow.spec)."""

from django.conf import settings

# shared/domain/governance.md: emergencies the same day; 咨询 / 求助 ≤ 3 working days;
# 投诉 / 举报 / 建议 ≤ 13 working days (configurable per category).
DEFAULT_LIMITS = {
    "consult": "3 working_days",
    "help": "3 working_days",
    "praise": "3 working_days",
    "complaint": "13 working_days",
    "report": "13 working_days",
    "suggestion": "13 working_days",
}
URGENCY_LIMITS = {"emergency": "0 natural_days", "urgent": "1 working_days"}
DEFAULT_SIGN_LIMIT = "2 working_hours"
URGENCY_SIGN_LIMITS = {"emergency": "1 hours", "urgent": "1 working_hours"}
DEFAULT_REWORK_LIMIT = "5 working_days"


def _setting(name, default):
    return getattr(settings, name, default)


def limit_for(category, request_type: str, urgency: str = "normal") -> str:
    """The 办结时限 of an order: the urgency's limit for 紧急 / 特急, else the nearest
    category (leaf upwards) that sets one for this 诉求类型, else the default."""
    urgent = _setting("HOTLINE_URGENCY_LIMITS", URGENCY_LIMITS).get(urgency)
    if urgent:
        return urgent
    node = category
    while node is not None:
        value = (node.limits or {}).get(request_type)
        if value:
            return value
        node = node.parent
    return _setting("HOTLINE_DEFAULT_LIMITS", DEFAULT_LIMITS).get(request_type, "13 working_days")


def sign_limit(category, urgency: str = "normal") -> str:
    """The 签收时限 after each dispatch (派单, 下派, 改派)."""
    urgent = _setting("HOTLINE_URGENCY_SIGN_LIMITS", URGENCY_SIGN_LIMITS).get(urgency)
    if urgent:
        return urgent
    node = category
    while node is not None:
        if node.sign_limit:
            return node.sign_limit
        node = node.parent
    return _setting("HOTLINE_DEFAULT_SIGN_LIMIT", DEFAULT_SIGN_LIMIT)


def rework_limit(category, urgency: str = "normal") -> str:
    """The 办结时限 of a 重办 (the caller was not satisfied)."""
    if urgency == "emergency":
        return "1 natural_days"
    return _setting("HOTLINE_REWORK_LIMIT", DEFAULT_REWORK_LIMIT)
