"""The contract monitoring pack: cohort, flow, targets, forecast and spend."""
