#!/bin/sh
set -e
# prepare the container (migrations would run here), then hand over to the image's CMD
echo "starting $*"
exec "$@"
