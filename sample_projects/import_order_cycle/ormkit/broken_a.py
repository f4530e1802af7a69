from ormkit.broken_b import B


class A:
    partner = B
