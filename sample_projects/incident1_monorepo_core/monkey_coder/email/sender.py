"""Outgoing e-mail (this directory has no __init__.py)."""


def send_email(to: str, subject: str) -> dict:
    return {"to": to, "subject": subject, "queued": True}
