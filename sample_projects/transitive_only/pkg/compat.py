"""Imports six, installed only because python-dateutil 2.x depends on it (3.x+ does not)."""

import six
from dateutil.parser import isoparse


def parse(text: str):
    return isoparse(six.ensure_str(text))
