"""``northlab`` verbs for the hub: demo, hub, settings, learner/instructor/cohort add."""

from __future__ import annotations

import argparse
import secrets
import signal
import subprocess

import requests

from graders.cli import CommandError
from graders.lab import LabError
from hub import demo
from hub.accounts import AccountError
from hub.people import HubClient, HubUnavailable, add_cohort, add_person, set_password
from hub.roles import cohort_group
from hub.runner import start_hub, stop_hub
from hub.settings import Settings, SettingsError, help_text, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise CommandError(str(exc)) from None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _serve(settings: Settings, process: subprocess.Popen) -> int:
    print(f"northlab hub: http://{settings.ip}:{settings.port}/  (Ctrl-C stops it)", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return process.wait()
    except KeyboardInterrupt:
        stop_hub(process)
        return 0


def _start(settings: Settings) -> subprocess.Popen:
    try:
        return start_hub(settings)
    except SettingsError as exc:
        raise CommandError(str(exc)) from None


def cmd_hub(args: argparse.Namespace) -> int:
    settings = _settings()
    return _serve(settings, _start(settings))


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings()
    try:
        labs = demo.demo_labs(settings.labs_root)
        released = demo.prepare(settings, labs)
    except (LabError, AccountError, RuntimeError) as exc:
        raise CommandError(str(exc)) from None
    process = _start(settings)
    try:
        logins = demo.seed(settings, HubClient(settings))
    except (requests.RequestException, HubUnavailable, AccountError) as exc:
        stop_hub(process)
        raise CommandError(f"Seeding the demo failed: {exc}") from None
    print(f"\nDemo course '{demo.DEMO_COHORT}' labs: {', '.join(released) or 'none yet'}")
    print("Demo logins (user / password) — Identifiants de démonstration :")
    for login in logins:
        print(f"  {login.role:<10} {login.name:<12} {login.password}")
    if args.no_wait:
        print(f"Hub running as process {process.pid}.")
        return 0
    return _serve(settings, process)


def cmd_settings(args: argparse.Namespace) -> int:
    settings = _settings()
    for key, default, help in help_text():
        print(f"{key} = {getattr(settings, key)!s}   (default {default})\n    {help}")
    return 0


def _add(args: argparse.Namespace, role: str) -> int:
    settings = _settings()
    client = HubClient(settings)
    password = args.password or secrets.token_urlsafe(9)
    try:
        if args.cohort:
            add_cohort(settings, args.cohort)
        existed = client.user(args.name) is not None
        add_person(settings, client, args.name, role=role, cohort=args.cohort, password=None)
        written = set_password(settings, args.name, password, replace=bool(args.password))
    except (HubUnavailable, AccountError) as exc:
        raise CommandError(str(exc)) from None
    state = "already existed" if existed else "created"
    print(f"{role} {args.name} {state}" + (f"; password: {password}" if written else ""))
    return 0


def cmd_cohort_add(args: argparse.Namespace) -> int:
    settings = _settings()
    try:
        changed = add_cohort(settings, args.cohort, tuple(args.lead))
        client = HubClient(settings)
        client.ensure_group(cohort_group(args.cohort))
        for lead in args.lead:
            add_person(settings, client, lead, role="lead", cohort=args.cohort, password=None)
    except (HubUnavailable, AccountError) as exc:
        raise CommandError(str(exc)) from None
    print(f"cohort {args.cohort}: course and exchange ready")
    if changed:
        print("Restart the hub (`northlab hub`) so the new leads get their cohort-lead role.")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="Seed the demo cohort and start the hub.")
    p.add_argument("--no-wait", action="store_true",
                   help="Leave the hub running in the background and return.")
    p.set_defaults(func=cmd_demo)
    p = subparsers.add_parser("hub", help="Start the hub (JupyterHub + proxy) in the foreground.")
    p.set_defaults(func=cmd_hub)
    p = subparsers.add_parser("settings", help="Print every setting, its value and its meaning.")
    p.set_defaults(func=cmd_settings)
    for role, what in (("learner", "a learner"), ("instructor", "an instructor")):
        p = subparsers.add_parser(role, help=f"Manage {what} (the hub must be running).")
        verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
        add = verbs.add_parser("add", help=f"Add {what} with an approved account.")
        add.add_argument("name", help="Login name: lowercase letters, digits, hyphens.")
        add.add_argument("--cohort", help="Cohort id (created if missing), e.g. iqaluit-2026.",
                         required=role == "learner")
        add.add_argument("--password", help="Password (default: a random one, printed).")
        add.set_defaults(func=lambda args, role=role: _add(args, role))
    p = subparsers.add_parser("cohort", help="Manage cohorts (one nbgrader course each).")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    add = verbs.add_parser("add", help="Create a cohort: group, course root, exchange.")
    add.add_argument("cohort", help="Cohort id, e.g. iqaluit-2026.")
    add.add_argument("--lead", action="append", default=[], help="Cohort lead login (repeat).")
    add.set_defaults(func=cmd_cohort_add)
