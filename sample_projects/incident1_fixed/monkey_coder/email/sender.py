"""Outgoing e-mail."""


def send_email(to: str, subject: str) -> dict:
    return {"to": to, "subject": subject, "queued": True}
