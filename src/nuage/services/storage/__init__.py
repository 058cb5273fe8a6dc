"""Object storage use cases (the S3 facade's services)."""
