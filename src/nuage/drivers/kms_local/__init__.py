"""The local KeyStore: project keys derived from a master key file on the host."""

from nuage.drivers.kms_local.keystore import LocalKeyStore

__all__ = ["LocalKeyStore"]
