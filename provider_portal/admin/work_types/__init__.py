"""Work types: which are advice under reg 8, whose statutory due date is 6 weeks."""
