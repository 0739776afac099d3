"""Generate the invented sshd log of the auth-log-forensics lab (seeded, reproducible).

The server "learnhub", its accounts and every address are invented. Outside addresses come
from the ranges reserved for documentation (RFC 5737: 192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24), so they point at no real network; inside addresses are private (10.20.0.0/24).

    python make_data.py            # rewrites source/data/auth.log

The log covers 14 March 2026 (syslog lines carry no year). It holds ordinary staff logins,
cron noise, a staff member mistyping a password, a slow background scanner, a second small
scanner, and one brute-force run that ends with a successful login.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

SEED = 314
HOST = "learnhub"
DAY = datetime(2026, 3, 14)
OUT = Path(__file__).parent / "source" / "data" / "auth.log"

STAFF = {"itadmin": "10.20.0.15", "frontdesk": "10.20.0.31", "events": "10.20.0.44",
         "library": "10.20.0.52"}
ATTACKER = "203.0.113.77"
ATTACK_START = DAY + timedelta(hours=2, minutes=11, seconds=5)
ATTACK_END = DAY + timedelta(hours=2, minutes=48, seconds=40)
BREACHED_USER = "events"
SCANNERS = {"198.51.100.23": 14, "192.0.2.10": 22}
GUESSED_USERS = ["root", "admin", "test", "user", "ubuntu", "oracle", "pi", "guest", "ftp",
                 "frontdesk", "library", "events", "backup", "postgres", "support"]
REAL_USERS = set(STAFF) | {"root"}


def main() -> None:
    rng = random.Random(SEED)
    events: list[tuple[datetime, int, str, str]] = []  # (time, connection, program, message)
    connections = iter(range(1_000_000))

    def ssh_fail(when: datetime, user: str, ip: str) -> None:
        port, conn = rng.randint(32768, 60999), next(connections)
        if user in REAL_USERS:
            events.append((when, conn, "sshd",
                           f"Failed password for {user} from {ip} port {port} ssh2"))
            events.append((when + timedelta(seconds=rng.randint(1, 3)), conn, "sshd",
                           f"Connection closed by authenticating user {user} {ip} "
                           f"port {port} [preauth]"))
        else:
            events.append((when, conn, "sshd", f"Invalid user {user} from {ip} port {port}"))
            events.append((when + timedelta(seconds=rng.randint(1, 2)), conn, "sshd",
                           f"Failed password for invalid user {user} from {ip} port {port} ssh2"))

    def ssh_login(when: datetime, user: str, ip: str, method: str = "password") -> None:
        port, conn = rng.randint(32768, 60999), next(connections)
        uid = 1000 + sorted(STAFF).index(user)
        events.append((when, conn, "sshd",
                       f"Accepted {method} for {user} from {ip} port {port} ssh2"))
        events.append((when, conn, "sshd", f"pam_unix(sshd:session): session opened for user "
                                     f"{user}(uid={uid}) by (uid=0)"))
        end = when + timedelta(minutes=rng.randint(3, 90))
        events.append((end, conn, "sshd",
                       f"pam_unix(sshd:session): session closed for user {user}"))

    for hour in range(24):  # cron every hour
        when, conn = DAY + timedelta(hours=hour, minutes=17, seconds=1), next(connections)
        events.append((when, conn, "CRON",
                       "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"))
        events.append((when + timedelta(seconds=1), conn, "CRON",
                       "pam_unix(cron:session): session closed for user root"))

    ssh_login(DAY + timedelta(hours=7, minutes=58, seconds=12), "itadmin", STAFF["itadmin"],
              "publickey")
    for i in range(2):  # frontdesk mistypes twice, then logs in
        ssh_fail(DAY + timedelta(hours=8, minutes=31, seconds=4 + 9 * i), "frontdesk",
                 STAFF["frontdesk"])
    ssh_login(DAY + timedelta(hours=8, minutes=31, seconds=30), "frontdesk", STAFF["frontdesk"])
    ssh_login(DAY + timedelta(hours=9, minutes=5, seconds=47), "library", STAFF["library"])
    ssh_login(DAY + timedelta(hours=13, minutes=40, seconds=2), "events", STAFF["events"])
    ssh_login(DAY + timedelta(hours=16, minutes=2, seconds=55), "itadmin", STAFF["itadmin"],
              "publickey")

    for ip, count in SCANNERS.items():  # slow scanners, spread over the day
        for _ in range(count):
            when = DAY + timedelta(seconds=rng.randint(0, 86_000))
            ssh_fail(when, rng.choice(GUESSED_USERS[:9]), ip)

    when = ATTACK_START  # the brute-force run: a try every few seconds
    while True:
        ssh_fail(when, rng.choice(GUESSED_USERS), ATTACKER)
        step = timedelta(seconds=rng.randint(4, 11))
        if when + step > ATTACK_END:
            break
        when += step
    ssh_fail(ATTACK_END, BREACHED_USER, ATTACKER)
    ssh_login(ATTACK_END + timedelta(seconds=12), BREACHED_USER, ATTACKER)

    events.sort(key=lambda e: (e[0], e[1]))
    pids: dict[int, int] = {}  # one process per connection, numbered in order of first line
    lines = []
    for when, conn, program, message in events:
        if conn not in pids:
            pids[conn] = max(pids.values(), default=3100) + rng.randint(1, 7)
        lines.append(f"{when:%b %d %H:%M:%S} {HOST} {program}[{pids[conn]}]: {message}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
