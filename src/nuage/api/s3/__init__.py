"""The S3-compatible API: SigV4 authentication, aws-chunked bodies, checksums and handlers."""
