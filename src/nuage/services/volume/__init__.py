"""Block storage (Cinder v3): volumes, snapshots, attachments and backups."""
