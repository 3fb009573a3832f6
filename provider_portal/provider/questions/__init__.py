"""The provider's side of a question thread (the thread itself: allocations/questions/)."""
