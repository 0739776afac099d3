"""Lending desk: the community centre's equipment-loan app (invented data).

A tiny request handler over SQLite. ``handle(request)`` takes a dict such as
``{"method": "GET", "path": "/items", "params": {"search": "snow"}}`` and returns
``{"status": 200, "body": ...}``. ``reset_db()`` rebuilds the database in memory with the
sample data.
"""

import hashlib
import sqlite3

SCHEMA = """
CREATE TABLE members (id INTEGER PRIMARY KEY, name TEXT NOT NULL, salt TEXT NOT NULL,
                      pin_hash TEXT NOT NULL);
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,
                    available INTEGER NOT NULL);
CREATE TABLE loans (id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL,
                    item_id INTEGER NOT NULL, due TEXT NOT NULL);
"""

MEMBERS = [  # id, name, salt, PIN (the PIN is only used to build the sample data)
    (1, "Alex Martin", "9f1c", "1234"),
    (2, "Sam Kowalski", "03ab", "4321"),
    (3, "Jo D'Amours", "77e2", "7777"),
    (4, "Noor Haddad", "c41d", "2468"),
    (5, "Chris Lavoie", "5b90", "1357"),
]
ITEMS = [
    (1, "Snowshoes (adult)", "winter", 1),
    (2, "Children's snowshoes", "winter", 1),
    (3, "Ice auger", "harvest", 0),
    (4, "Fishing net", "harvest", 1),
    (5, "VHF radio", "safety", 0),
    (6, "GPS unit", "safety", 1),
    (7, "Refurbished laptop 50%", "tech", 1),
    (8, "Projector", "tech", 1),
    (9, "Camp stove", "kitchen", 0),
    (10, "Sewing machine", "crafts", 1),
]
LOANS = [(1, 1, 3, "2026-03-20"), (2, 2, 5, "2026-03-18"), (3, 4, 9, "2026-03-22")]


_db = None


def pin_hash(salt, pin):
    """The stored form of a PIN: sha256(salt + pin) as hex."""
    return hashlib.sha256((salt + pin).encode("utf-8")).hexdigest()


def reset_db():
    """Rebuild the database in memory with the sample data."""
    global _db
    _db = sqlite3.connect(":memory:")
    _db.executescript(SCHEMA)
    _db.executemany("INSERT INTO members VALUES (?, ?, ?, ?)",
                    [(i, name, salt, pin_hash(salt, pin)) for i, name, salt, pin in MEMBERS])
    _db.executemany("INSERT INTO items VALUES (?, ?, ?, ?)", ITEMS)
    _db.executemany("INSERT INTO loans VALUES (?, ?, ?, ?)", LOANS)
    _db.commit()


def db():
    if _db is None:
        reset_db()
    return _db


def search_items(params):
    """GET /items?search=...&sort=id|name|category"""
    search = params.get("search", "")
    sort = params.get("sort", "name")
    rows = db().execute(
        "SELECT id, name, category, available FROM items "
        f"WHERE name LIKE '%{search}%' ORDER BY {sort}"
    ).fetchall()
    return {"status": 200, "body": [
        {"id": r[0], "name": r[1], "category": r[2], "available": bool(r[3])} for r in rows]}


def login(params):
    """POST /login with name and pin."""
    name = params.get("name", "")
    row = db().execute(f"SELECT salt FROM members WHERE name = '{name}'").fetchone()
    if row is None:
        return {"status": 401, "body": {"error": "wrong name or PIN"}}
    found = db().execute(
        f"SELECT id FROM members WHERE name = '{name}' "
        f"AND pin_hash = '{pin_hash(row[0], params.get('pin', ''))}'"
    ).fetchone()
    if found is None:
        return {"status": 401, "body": {"error": "wrong name or PIN"}}
    return {"status": 200, "body": {"member_id": found[0]}}


def member_loans(params):
    """GET /loans?member_id=..."""
    member_id = params.get("member_id", "")
    rows = db().execute(
        "SELECT loans.id, items.name, loans.due FROM loans JOIN items ON items.id = loans.item_id "
        f"WHERE loans.member_id = {member_id} ORDER BY loans.due"
    ).fetchall()
    return {"status": 200, "body": [{"loan_id": r[0], "item": r[1], "due": r[2]} for r in rows]}


def return_item(params):
    """POST /return with loan_id: the item is back, the loan is closed."""
    loan_id = params.get("loan_id", "")
    cursor = db().execute(f"DELETE FROM loans WHERE id = {loan_id}")
    db().commit()
    return {"status": 200, "body": {"closed": cursor.rowcount}}


ROUTES = {
    ("GET", "/items"): search_items,
    ("POST", "/login"): login,
    ("GET", "/loans"): member_loans,
    ("POST", "/return"): return_item,
}


def handle(request):
    """Answer one request: {"method", "path", "params"} -> {"status", "body"}."""
    route = ROUTES.get((request.get("method"), request.get("path")))
    if route is None:
        return {"status": 404, "body": {"error": "not found"}}
    try:
        return route(dict(request.get("params") or {}))
    except sqlite3.Error as exc:
        return {"status": 500, "body": {"error": str(exc)}}
