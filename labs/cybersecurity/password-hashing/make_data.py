"""Generate the invented data of the password-hashing lab (seeded, reproducible).

Everything here is invented for teaching: the accounts, the "leak" and the word list
do not come from any real organisation, community or person.

    python make_data.py            # rewrites source/data/

Files written:
  wordlist.txt        weak passwords an attacker would try first (one per line)
  leak_unsalted.csv   username,sha256  -- sha256(password) as hex, no salt
  leak_salted.csv     username,salt,sha256 -- sha256(salt + password) as hex
"""

from __future__ import annotations

import csv
import hashlib
import random
import string
from pathlib import Path

SEED = 20260114
OUT = Path(__file__).parent / "source" / "data"

BASE_WORDS = [
    "password", "welcome", "qwerty", "letmein", "sunshine", "dragon", "monkey", "football",
    "hockey", "soccer", "baseball", "iloveyou", "admin", "princess", "master", "shadow",
    "winter", "summer", "spring", "autumn", "aurora", "blizzard", "snowstorm", "fishing",
    "camping", "family", "community", "library", "hunter", "puppy", "kitten", "coffee",
    "bonjour", "soleil", "hiver", "printemps", "motdepasse", "bienvenue", "chocolat", "hockeyfan",
]
SUFFIXES = ["", "1", "12", "123", "1234", "!", "2024", "2025", "2026", "01"]

# username -> password; None means "strong random password, not in any word list".
ACCOUNTS = {
    "frontdesk": "Welcome2026",
    "youthcoach": "hockey123",
    "radio": "aurora1",
    "finance": None,
    "events": "summer2025",
    "tutor1": "bienvenue",
    "tutor2": "qwerty1234",
    "printer": "admin",
    "itadmin": None,
    "kitchen": "Coffee!",
    "guestwifi": "letmein",
    "library": None,
}
SALTED = ["frontdesk", "youthcoach", "events", "finance", "guestwifi", "library"]


def wordlist() -> list[str]:
    words = []
    for base in BASE_WORDS:
        for suffix in SUFFIXES:
            words.append(base + suffix)
            words.append(base.capitalize() + suffix)
    return sorted(set(words))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def main() -> None:
    rng = random.Random(SEED)
    alphabet = string.ascii_letters + string.digits + "-_.!?"
    passwords = {
        user: pw if pw else "".join(rng.choice(alphabet) for _ in range(20))
        for user, pw in ACCOUNTS.items()
    }
    words = wordlist()
    rng.shuffle(words)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "wordlist.txt").write_text(
        "# Invented list of weak passwords for the northlab password-hashing lab\n"
        + "\n".join(words) + "\n", encoding="utf-8")
    with open(OUT / "leak_unsalted.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["username", "sha256"])
        for user, pw in passwords.items():
            writer.writerow([user, sha256_hex(pw)])
    with open(OUT / "leak_salted.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["username", "salt", "sha256"])
        for user in SALTED:
            salt = "".join(rng.choice("0123456789abcdef") for _ in range(16))
            writer.writerow([user, salt, sha256_hex(salt + passwords[user])])


if __name__ == "__main__":
    main()
