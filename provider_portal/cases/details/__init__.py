"""Adding a case by hand and changing its details: the child, the request, the setting."""
