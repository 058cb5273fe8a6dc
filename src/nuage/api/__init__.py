"""Inbound adapters: they translate wire <-> domain and call one service each."""
