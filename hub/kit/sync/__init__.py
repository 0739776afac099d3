"""The hub-managed ``kit`` service: a laptop that is online hands its kit's work in here.

``./northlab-kit sync --hub URL`` asks the hub for a short-lived token with the learner's
own login, then POSTs the kit's ``manifest.json`` and ``work/`` (a gzipped tar) to
``/services/kit/handin``. The service unpacks it with strict limits, checks it exactly
like ``northlab kit collect`` (this hub's signature, the learner the kit was issued to or a
learner of its cohort), lands the labs in the course, answers with one sentence per lab in
every language, and grades the landed labs in the sandbox in the background.
"""
