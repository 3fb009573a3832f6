"""Send-back reasons: the list the council ticks from when it sends work back."""
