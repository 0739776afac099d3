"""``northlab`` verbs for the hub: demo, hub, settings, learner/instructor/cohort add."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess

import requests

from graders.lab import LabError
from hub.commands import demo
from hub.commands.runner import start_hub, stop_everything, stop_hub
from hub.config.settings import Settings, load_settings
from hub.people.accounts import AccountError
from hub.people.manage import (
    HubClient,
    HubUnavailable,
    add_cohort,
    add_person,
    cohort_has_roles,
    set_password,
)
from hub.services.gradebook.openclass import ClassNotOpened, warm_cohort
from hub.tracks import TRACKS
from northlab.cli import CommandError
from northlab.groups import cohort_group
from northlab.settings import describe


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _serve(settings: Settings, process: subprocess.Popen) -> int:
    print(f"northlab hub: http://{settings.ip}:{settings.port}/  (Ctrl-C stops it)", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return process.wait()
    except KeyboardInterrupt:
        stop_hub(settings, process)
        return 0


def cmd_hub(args: argparse.Namespace) -> int:
    settings = load_settings()
    return _serve(settings, start_hub(settings))


def cmd_demo(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        labs = demo.demo_labs(settings.labs_root)
        released = demo.prepare(settings, labs)
    except (LabError, AccountError, RuntimeError) as exc:
        raise CommandError(str(exc)) from None
    # the demo's credentials can only name 127.0.0.1: let the credential service sign them
    os.environ.setdefault("NORTHLAB_CREDENTIALS_ALLOW_LOOPBACK", "1")
    process = start_hub(settings)
    try:
        logins = demo.seed(settings, HubClient(settings))
    except (requests.RequestException, HubUnavailable, AccountError) as exc:
        stop_hub(settings, process)
        raise CommandError(f"Seeding the demo failed: {exc}") from None
    print(f"\nDemo course '{demo.DEMO_COHORT}' labs: {', '.join(released) or 'none yet'}")
    print("Demo logins (user / password) — Identifiants de démonstration :")
    for login in logins:
        track = f"  ({TRACKS[login.track].title('en')} / {TRACKS[login.track].title('fr')})" \
            if login.track else ""
        print(f"  {login.role:<10} {login.name:<19} {login.password}{track}")
    if args.no_wait:
        print(f"Hub running as process {process.pid}.")
        return 0
    return _serve(settings, process)


def cmd_stop(args: argparse.Namespace) -> int:
    settings = load_settings()
    if os.geteuid() != 0:
        raise CommandError("northlab stop needs root, as the hub it stops: run it with sudo.")
    stopped = stop_everything(settings)
    print(f"northlab stop: {stopped} process(es) of the hub of {settings.data_root} stopped "
          "(hub, proxy, services, learners' servers, kernels, grading).")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    load_settings()  # the hub's settings are checked
    for part, key, value, source, env, help in describe():
        print(f"[{part}] {key} = {value}   ({source}; {env})\n    {help}")
    return 0


def _restart_note(cohort: str) -> str:
    return (f"Cohort {cohort} is newer than the running hub: restart it (`northlab hub`) so "
            "its leads and instructors get their access.")


def _add(args: argparse.Namespace, role: str) -> int:
    settings = load_settings()
    client = HubClient(settings)
    password = args.password or secrets.token_urlsafe(9)
    cohorts = args.cohort if role == "instructor" else [args.cohort]
    waiting = []
    try:
        existed = client.user(args.name) is not None
        for cohort in cohorts or [None]:
            if cohort:
                add_cohort(settings, cohort)
            if not add_person(settings, client, args.name, role=role, cohort=cohort,
                              password=None):
                waiting.append(cohort)
        written = set_password(settings, args.name, password, replace=bool(args.password))
    except (HubUnavailable, AccountError) as exc:
        raise CommandError(str(exc)) from None
    state = "already existed" if existed else "created"
    print(f"{role} {args.name} {state}" + (f"; password: {password}" if written else ""))
    for cohort in waiting:
        print(_restart_note(cohort))
    return 0


def cmd_cohort_add(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        client = HubClient(settings)
        client.check_up()  # nothing is created on disk for a hub that is down
        add_cohort(settings, args.cohort)
        client.ensure_group(cohort_group(args.cohort))
        for lead in args.lead:
            add_person(settings, client, lead, role="lead", cohort=args.cohort, password=None)
        ready = cohort_has_roles(client, args.cohort)
    except (HubUnavailable, AccountError) as exc:
        raise CommandError(str(exc)) from None
    print(f"cohort {args.cohort}: course and exchange ready"
          + (f"; leads: {', '.join(args.lead)}" if args.lead else ""))
    if not ready:
        print(_restart_note(args.cohort))
    return 0


def cmd_cohort_warm(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        warmed = warm_cohort(HubClient(settings), args.cohort, track=args.track)
    except (HubUnavailable, ClassNotOpened, requests.RequestException) as exc:
        raise CommandError(str(exc)) from None
    print(f"cohort {args.cohort}: {len(warmed.started)} server(s) starting, "
          f"{len(warmed.running)} already running")
    for name, reason in warmed.failed.items():
        print(f"  {name}: could not start: {reason}")
    return 1 if warmed.failed else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="Seed the demo cohort and start the hub.")
    p.add_argument("--no-wait", action="store_true",
                   help="Leave the hub running in the background and return.")
    p.set_defaults(func=cmd_demo)
    p = subparsers.add_parser("hub", help="Start the hub (JupyterHub + proxy) in the foreground.")
    p.set_defaults(func=cmd_hub)
    p = subparsers.add_parser(
        "stop", help="Stop the hub and everything it started (servers, kernels, grading).",
        description="Stop the hub of this data root, its proxy and services, every learner's "
                    "and instructor's server (they outlive a hub restart), their kernels and "
                    "terminals, and the grading sandboxes they started.")
    p.set_defaults(func=cmd_stop)
    p = subparsers.add_parser("settings", help="Print every setting, its value and its meaning.")
    p.set_defaults(func=cmd_settings)
    for role, what in (("learner", "a learner"), ("instructor", "an instructor")):
        p = subparsers.add_parser(role, help=f"Manage {what} (the hub must be running).")
        verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
        add = verbs.add_parser("add", help=f"Add {what} with an approved account.")
        add.add_argument("name", help="Login name: lowercase letters, digits, hyphens.")
        if role == "learner":
            add.add_argument("--cohort", required=True,
                             help="Cohort id (created if missing), e.g. iqaluit-2026.")
        else:
            add.add_argument("--cohort", action="append", default=[],
                             help="Course (= cohort id) they teach, created if missing; "
                                  "repeat for several. Without it: no course yet.")
        add.add_argument("--password", help="Password (default: a random one, printed).")
        add.set_defaults(func=lambda args, role=role: _add(args, role))
    p = subparsers.add_parser("cohort", help="Manage cohorts (one nbgrader course each).")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    add = verbs.add_parser("add", help="Create a cohort (group, course root, exchange) "
                            "and add its leads.")
    add.add_argument("cohort", help="Cohort id, e.g. iqaluit-2026.")
    add.add_argument("--lead", action="append", default=[], help="Cohort lead login (repeat).")
    add.set_defaults(func=cmd_cohort_add)
    warm = verbs.add_parser(
        "warm", help="Open the class: start the cohort's learners' servers before they log in.",
        description="Start the server of every learner of the cohort that is not running, on "
                    "the track each last used (or --track), so their labs are ready when they "
                    "log in. The idle culler stops the servers nobody uses (idle_timeout).")
    warm.add_argument("cohort", help="Cohort id, e.g. iqaluit-2026.")
    warm.add_argument("--track", choices=list(TRACKS),
                      help="Track for every server (default: each learner's last track).")
    warm.set_defaults(func=cmd_cohort_warm)
