"""The audit trail's read API, /audit/v1."""
