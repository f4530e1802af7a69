"""mcheck hostile sample: writes and deletes files in its working directory and $HOME at import time."""
