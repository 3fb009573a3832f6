"""Case papers on the provider's work page."""
