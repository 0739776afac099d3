"""northlab's shared core: settings, message catalogues, the result record, the CLI root.

Every part (graders, hub, services) may import it; it imports nothing else of ours.
"""
