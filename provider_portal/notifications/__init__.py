"""Telling people what happened and what is due: in the portal, by email, and in digests."""
