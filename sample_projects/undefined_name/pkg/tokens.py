"""URLSafeTimedSerializer is used but never imported: a NameError on the first call."""


def make_token(secret: str) -> str:
    return URLSafeTimedSerializer(secret).dumps({})
