"""pycryptodomex installs `Cryptodome`; `Crypto` belongs to pycryptodome, which is not declared."""

from Crypto.Cipher import AES


def encrypt(key: bytes, data: bytes) -> bytes:
    cipher = AES.new(key, AES.MODE_EAX)
    return cipher.encrypt(data)
