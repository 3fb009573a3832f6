"""Case papers: what the council holds for a case and shares with the work that needs it."""
