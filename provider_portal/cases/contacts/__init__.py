"""The contacts a provider needs for the work: the parent or carer and the school SENCo."""
