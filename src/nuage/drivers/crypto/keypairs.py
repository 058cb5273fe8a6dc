"""Key pairs made for a user who gave no public key (Nova below microversion 2.92).

RSA 2048, as Nova's own generator; the private key leaves in the create response and is
never stored, so nuage cannot give it out again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

KEY_BITS = 2048
# Nova's x509 key pairs are certificates valid for ten years.
CERTIFICATE_DAYS = 3650


def _private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


class RsaKeyPairGenerator:
    def ssh(self) -> tuple[str, str]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                               serialization.PublicFormat.OpenSSH).decode()
        return f"{public} Generated-by-Nova", _private(key)

    def x509(self, common_name: str) -> tuple[str, str]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.now(UTC)
        certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                       .public_key(key.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(now)
                       .not_valid_after(now + timedelta(days=CERTIFICATE_DAYS))
                       .sign(key, hashes.SHA256()))
        return certificate.public_bytes(serialization.Encoding.PEM).decode(), _private(key)
