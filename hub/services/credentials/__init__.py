"""northlab credential service: grade results in, Open Badges 3.0 credentials out.

Launch (JupyterHub-managed service; the hub sets the JUPYTERHUB_* variables)::

    c.JupyterHub.services.append({
        "name": "credentials",
        "command": [sys.executable, "-m", "hub.services.credentials"],
        "url": "http://127.0.0.1:10101",
        "cwd": "<repo>",
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": ["read:users:groups!user"],
        "environment": {"NORTHLAB_DATA": "<data_root>", ...},  # see settings.py
    })
    c.JupyterHub.custom_scopes = {"custom:northlab:report-results": {
        "description": "Report grade results to the credential service"}}
    # learners reach the service: add "access:services!service=credentials" to the user role;
    # graders: a role with scopes ["custom:northlab:report-results"] for the grader's token.

Standalone (tests, or no hub): set JUPYTERHUB_SERVICE_URL and
NORTHLAB_CREDENTIALS_REPORT_TOKEN; the results API and public pages work, learner pages
answer 503. Modules: service.py (library), app.py (web), cli.py (verbs), proof.py
(eddsa-rdfc-2022), strict.py (strict JSON-LD), keys.py, statuslist.py, badge.py, image.py,
recipients.py, verify.py, achievements.py.
"""
