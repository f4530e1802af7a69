import json
from pathlib import Path

ZONES = json.loads((Path(__file__).parent / "data" / "zones.json").read_text())["zones"]
