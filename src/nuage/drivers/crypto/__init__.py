"""Cryptography drivers: Fernet key repositories, token sealing, argon2 password hashes."""
