"""Unit tests of the pure S3 modules: SigV4, aws-chunked bodies, checksums."""
