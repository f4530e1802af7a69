"""A filesystem over SMB, for users who install smbprotocol."""

import smbclient


def listdir(path: str) -> list:
    return smbclient.listdir(path)
