"""Recording a case's statutory dates and timescale exceptions."""
