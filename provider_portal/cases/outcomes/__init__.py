"""Case outcomes: the decisions, the plans and closing a case without one."""
