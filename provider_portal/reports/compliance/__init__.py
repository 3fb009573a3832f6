"""20-week compliance by month of final plan issue."""
