from ormkit.models import Field


class BaseBackend:
    field_class = Field
