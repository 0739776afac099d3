"""The gradebook: a JupyterHub-managed service for cohort leads, instructors and learners.

Launched by the hub as ``python -m hub.services.gradebook`` and reached at
``/services/gradebook/`` with the same login as the labs (HubOAuth). It reads the shared
results + credentials database (hub/services/records.py) and never writes it.

Pages (server-rendered HTML, no JavaScript, English and French): ``program``, ``cohort/<id>``
(sortable, filterable learner x lab table), ``learner/<name>`` (per-test feedback history),
``lab/<id>`` (SVG plots), ``me`` (my progress); CSV exports ``cohort/<id>/grades.csv``,
``cohort/<id>/summary.csv?layout=generic|moodle|canvas|brightspace`` and ``export/*.csv``
for every cohort one may see; the same data as JSON under ``api/``; the CSV files also
from the shell with ``northlab gradebook export`` (:mod:`.cli`).

Roles and scopes the gradebook expects from the hub
----------------------------------------------------
Custom scope ``custom:northlab:gradebook`` (``c.JupyterHub.custom_scopes``). The service
asks for it with ``oauth_client_allowed_scopes``; the hub intersects it with each person's
roles, so the token the gradebook receives carries exactly their filter:

* admins / program staff: unfiltered ``custom:northlab:gradebook`` -> every cohort;
* cohort lead of ``<id>`` (hub group ``leads-<id>``, role ``cohort-lead-<id>``):
  ``custom:northlab:gradebook!group=cohort-<id>`` -> that cohort only;
* instructor of course ``<id>`` (one course per cohort; hub group ``instructors-<id>``,
  role ``course-instructor-<id>``): the same ``custom:northlab:gradebook!group=cohort-<id>``;
* everyone who should see "My progress": ``access:services!service=gradebook`` (e.g. add
  it to the default ``user`` role); without it the hub refuses the login (403).

The service's own token needs ``list:groups`` and ``read:groups`` to read cohort
membership (hub groups ``cohort-<id>``). The service entry for ``c.JupyterHub.services``::

    {
        "name": "gradebook",
        "url": "http://127.0.0.1:<port>",
        "command": [sys.executable, "-m", "hub.services.gradebook"],
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": ["custom:northlab:gradebook"],
        "environment": {"NORTHLAB_DATA": "<data_root>"},
    }

with the role ``{"name": "gradebook-service", "services": ["gradebook"],
"scopes": ["list:groups", "read:groups"]}``. Every denial is an HTTP 403.
Settings: see :mod:`hub.services.gradebook.config`.
"""
