"""``python -m hub.kit.sync``: start the kit hand-in service (the hub launches it)."""

from .app import main

main()
