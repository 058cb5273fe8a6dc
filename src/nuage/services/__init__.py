"""Use cases. Each takes a RequestContext and plain values, and decides."""
