"""Compute use cases: flavors, keypairs, quotas, servers, scheduling."""
