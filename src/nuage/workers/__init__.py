"""Reconcilers that finish long operations (they arrive with compute and storage)."""
