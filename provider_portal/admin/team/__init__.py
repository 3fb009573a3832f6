"""A provider administrator's own team: inviting, deactivating and reactivating practitioners."""
