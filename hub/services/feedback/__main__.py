"""``python -m hub.services.feedback``: start the instant feedback service (the hub launches it)."""

from hub.services.feedback.app import main

main()
