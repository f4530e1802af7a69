import os

# The host sets BOT_TOKEN; outside it the bot stops here, before any of its imports could fail.
TOKEN = os.environ["BOT_TOKEN"]
