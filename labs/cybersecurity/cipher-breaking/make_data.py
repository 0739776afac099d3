"""Generate the data of the cipher-breaking lab (reproducible; no randomness needed).

    python make_data.py            # rewrites source/data/

Files written:
  letter_frequencies.json  approximate share of each letter A-Z in large English and French
                           texts, as commonly published (accented letters folded into their
                           base letter), rescaled so each table sums to 1;
  messages.json            four encrypted notices. The notices are invented for this lab;
                           they describe no real event, place or person.

The plain texts and keys below are the answer key: this file is not released to learners
(only source/ is).
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

OUT = Path(__file__).parent / "source" / "data"

# Percentages, rounded, as commonly published for large corpora.
ENGLISH = {
    "A": 8.167, "B": 1.492, "C": 2.782, "D": 4.253, "E": 12.702, "F": 2.228, "G": 2.015,
    "H": 6.094, "I": 6.966, "J": 0.153, "K": 0.772, "L": 4.025, "M": 2.406, "N": 6.749,
    "O": 7.507, "P": 1.929, "Q": 0.095, "R": 5.987, "S": 6.327, "T": 9.056, "U": 2.758,
    "V": 0.978, "W": 2.360, "X": 0.150, "Y": 1.974, "Z": 0.074,
}
FRENCH = {  # base letters plus their accented forms (é, è, ê, à, ç, ...)
    "A": 8.13, "B": 0.90, "C": 3.35, "D": 3.67, "E": 17.39, "F": 1.07, "G": 0.87,
    "H": 0.74, "I": 7.58, "J": 0.61, "K": 0.07, "L": 5.46, "M": 2.97, "N": 7.10,
    "O": 5.80, "P": 2.52, "Q": 1.36, "R": 6.69, "S": 7.95, "T": 7.24, "U": 6.37,
    "V": 1.84, "W": 0.05, "X": 0.43, "Y": 0.13, "Z": 0.33,
}

MESSAGES = [
    ("caesar", 11, (
        "Reminder for all volunteers: the spring fishing derby starts Saturday at eight in the "
        "morning from the small boat launch. Please bring warm layers, a thermos and your "
        "registration card. The safety briefing is mandatory for every team, even for people "
        "who have fished here all their lives. Weather can change quickly on the bay, so the "
        "organizers will check the forecast again on Friday evening and post any change at the "
        "community hall and on the local radio. Lunch will be served at noon by the youth group."
    )),
    ("caesar", 19, (
        "Avis aux familles : la cuisine communautaire ouvrira ses portes mercredi soir pour un "
        "atelier de conservation des aliments. Nous apprendrons à préparer, sécher et congeler "
        "le poisson et les petits fruits de la saison. Les places sont limitées à douze "
        "personnes par séance; inscrivez-vous auprès de l'accueil avant lundi. Les enfants sont "
        "les bienvenus s'ils sont accompagnés d'un adulte. Apportez un contenant propre et un "
        "tablier. Le café et la soupe seront offerts à tout le monde."
    )),
    ("vigenere", "DRIFT", (
        "Ice report for the week: the shore lead opened again near the point after two days of "
        "strong south winds. Travellers heading to the cabins should use the inland trail and "
        "avoid the pressure ridge east of the island, where the ice is thin and broken. Snow "
        "cover is light, about ten centimetres, and the cold nights should thicken the ice "
        "again by the weekend. Always check with experienced travellers before you leave, tell "
        "someone your route and your return time, and carry a radio or satellite messenger."
    )),
    ("vigenere", "AURORE", (
        "Rapport météo pour les équipes de chasse et de pêche : vents du nord-ouest de trente à "
        "quarante kilomètres à l'heure jeudi, avec de la poudrerie en après-midi. La visibilité "
        "sera réduite sur le plateau et près de la côte. Vendredi, le temps se dégagera et les "
        "températures descendront autour de moins vingt-huit degrés. Prévoyez des vêtements "
        "secs de rechange, du carburant supplémentaire et une trousse de premiers soins. Avant "
        "de partir, laissez votre itinéraire à un proche."
    )),
]


def strip_accents(text: str) -> str:
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def shift_letter(ch: str, shift: int) -> str:
    if "A" <= ch <= "Z":
        return chr((ord(ch) - 65 + shift) % 26 + 65)
    if "a" <= ch <= "z":
        return chr((ord(ch) - 97 + shift) % 26 + 97)
    return ch


def vigenere(text: str, key: str) -> str:
    out, i = [], 0
    for ch in text:
        if ch.isascii() and ch.isalpha():
            out.append(shift_letter(ch, ord(key[i % len(key)]) - 65))
            i += 1
        else:
            out.append(ch)
    return "".join(out)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    tables = {
        lang: {letter: round(value / sum(table.values()), 5) for letter, value in table.items()}
        for lang, table in (("en", ENGLISH), ("fr", FRENCH))
    }
    (OUT / "letter_frequencies.json").write_text(json.dumps(tables, indent=1) + "\n",
                                                 encoding="utf-8")
    messages = {}
    for number, (cipher, key, plain) in enumerate(MESSAGES, start=1):
        plain = strip_accents(plain)
        if cipher == "caesar":
            secret = "".join(shift_letter(ch, key) for ch in plain)
        else:
            secret = vigenere(plain, key)
        messages[f"message_{number}"] = {"cipher": cipher, "text": secret}
    (OUT / "messages.json").write_text(json.dumps(messages, indent=1, ensure_ascii=False) + "\n",
                                       encoding="utf-8")


if __name__ == "__main__":
    main()
