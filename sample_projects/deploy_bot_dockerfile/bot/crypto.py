from Crypto.Cipher import AES


def cipher(key: bytes):
    return AES.new(key, AES.MODE_ECB)
