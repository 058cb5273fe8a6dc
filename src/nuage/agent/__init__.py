"""The per-host agent: in single-node mode it runs inside `nuage up`."""
