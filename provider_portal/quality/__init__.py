"""Quality of returned work: why it was sent back, and the rubric scored on acceptance."""
