"""Report the TLS stack, as requests.help does: OpenSSL only matters when pyopenssl is there."""

try:
    import pyopenssl_shim
except ImportError:
    pyopenssl_shim = None
    OpenSSL = None
else:
    import OpenSSL


def info() -> dict:
    return {"pyopenssl": OpenSSL is not None}
