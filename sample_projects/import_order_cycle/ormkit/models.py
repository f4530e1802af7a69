class Field:
    """Defined before the backend is imported: the backend needs it."""


# The backend needs Field, which exists by now: importing this module first is the working order.
from ormkit.backends.base import BaseBackend  # noqa: E402

DEFAULT_BACKEND = BaseBackend
