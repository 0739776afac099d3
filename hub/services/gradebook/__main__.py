"""``python -m hub.services.gradebook``: start the gradebook service (the hub launches it)."""

from .app import main

main()
