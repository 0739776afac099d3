"""nbgrader exchange over HTTP: a hub-authenticated service plus nbgrader exchange plugins.

nbgrader's default exchange is a shared folder, which breaks as soon as learners run in
separate containers or nodes. Here the exchange is a JupyterHub service
(:mod:`hub.services.exchange.app`) that stores releases, submissions and feedback, and
nbgrader's pluggable exchange classes (:mod:`hub.services.exchange.plugin`) talk to it with
the server's own hub API token. Who may do what comes from hub groups: members of
``cohort-<course>`` are learners of course ``<course>``, members of ``instructors-<course>``
(and hub admins) teach it. Submission times are stamped by the service, never by the learner.
"""
