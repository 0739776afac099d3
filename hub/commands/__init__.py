"""The hub's ``northlab`` verbs (registered with the CLI root, :mod:`northlab.cli`).

- :mod:`hub.commands.cli`: demo, hub, stop, settings, learner, instructor, cohort.
- :mod:`hub.commands.runner`: start and stop the hub and everything it started.
- :mod:`hub.commands.demo`: the demo cohort, its people and labs.
"""
