"""Signed tokens for e-mail confirmation links."""

from itsdangerous import URLSafeTimedSerializer


def make_confirmation_token(secret: str, email: str) -> str:
    serializer = URLSafeTimedSerializer(secret, salt="confirm-email")
    return serializer.dumps({"email": email})
