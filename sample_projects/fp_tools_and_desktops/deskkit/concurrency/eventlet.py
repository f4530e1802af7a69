import greenlet

POOL = greenlet.greenlet
