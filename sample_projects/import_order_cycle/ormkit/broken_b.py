from ormkit.broken_a import A


class B:
    partner = A
