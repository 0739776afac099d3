"""People and access: who may log in, learn, lead or teach, and as which Unix user.

- :mod:`hub.people.auth`: how people log in (native accounts with admin approval, or LTI).
- :mod:`hub.people.roles`: the hub's groups, roles and custom scopes (the group names every
  part agrees on are in :mod:`northlab.groups`).
- :mod:`hub.people.manage`: the ``northlab learner|instructor|cohort`` verbs' work, through
  the hub's REST API.
- :mod:`hub.people.accounts`: local mode's Unix accounts and groups.
"""
