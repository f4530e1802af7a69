"""Find places."""
from geofind.core import find
