def sync(cipher):
    return cipher is not None
