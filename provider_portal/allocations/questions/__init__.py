"""Questions on a piece of work: the provider asks, the council answers, one thread each."""
