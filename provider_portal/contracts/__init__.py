"""Contracts with providers: value, variations, prices, targets and what is left in them."""
