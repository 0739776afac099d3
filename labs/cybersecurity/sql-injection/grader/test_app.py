"""Grader of the sql-injection lab: normal use must keep working, injections must fail.

Each test starts from fresh sample data (``reset_db()``). Only plain data comes back from
the learner's app (dicts, lists, numbers, text), checked all the way down
(``learner.data``): the leak checks read ``repr(reply)``, and the ``repr`` of a learner
object inside a reply would be the learner's to write.
"""

import pytest

MEMBER_NAMES = {"Alex Martin", "Sam Kowalski", "Jo D'Amours", "Noor Haddad", "Chris Lavoie"}


class App:
    """The learner's app; its replies are checked to be plain data all the way down."""

    def __init__(self, learner):
        self.module = learner.module("app")
        self.data = learner.data

    def handle(self, request):
        return self.data(self.module.handle(request))


@pytest.fixture
def app(learner):
    app = App(learner)
    app.module.reset_db()
    return app


def answer(app, request):
    """The app's reply, which must be a plain dict of plain data (a learner object could
    hide a leak)."""
    reply = app.handle(request)
    assert type(reply) is dict, "handle() must return a plain dict"
    return reply


def get(app, path, **params):
    return answer(app, {"method": "GET", "path": path, "params": params})


def post(app, path, **params):
    return answer(app, {"method": "POST", "path": path, "params": params})


def names(response):
    return [row["name"] for row in response["body"]]


def leaks_members(response):
    text = repr(response)
    return any(name in text for name in MEMBER_NAMES) or "pin_hash" in text


# -- normal use keeps working --------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.feedback(en="Searching items by part of their name (e.g. 'snow') should still "
                         "return the matching items sorted by name.",
                      fr="La recherche d'articles par une partie du nom (p. ex. « snow ») doit "
                         "encore renvoyer les articles correspondants, triés par nom.")
def test_search_still_works(app):
    response = get(app, "/items", search="snow")
    assert response["status"] == 200
    assert names(response) == ["Children's snowshoes", "Snowshoes (adult)"]
    assert len(get(app, "/items")["body"]) == 10


@pytest.mark.points(1)
@pytest.mark.feedback(en="Sorting by id, name or category should still work.",
                      fr="Le tri par id, par nom ou par catégorie doit encore fonctionner.")
def test_sort_still_works(app):
    by_id = get(app, "/items", sort="id")["body"]
    assert [row["id"] for row in by_id] == list(range(1, 11))
    by_category = [row["category"] for row in get(app, "/items", sort="category")["body"]]
    assert by_category == sorted(by_category)


@pytest.mark.points(1)
@pytest.mark.feedback(en="A member with the right PIN should get status 200 and their "
                         "member_id; a wrong PIN or unknown name gives 401.",
                      fr="Un membre qui donne le bon NIP doit obtenir le statut 200 et son "
                         "member_id; un mauvais NIP ou un nom inconnu donne 401.")
def test_login_still_works(app):
    assert post(app, "/login", name="Alex Martin", pin="1234") == {
        "status": 200, "body": {"member_id": 1}}
    assert post(app, "/login", name="Alex Martin", pin="0000")["status"] == 401
    assert post(app, "/login", name="Nobody", pin="1234")["status"] == 401


@pytest.mark.points(1)
@pytest.mark.feedback(en="GET /loans with a member_id should still list that member's loans.",
                      fr="GET /loans avec un member_id doit encore donner les prêts de ce membre.")
def test_loans_still_work(app):
    response = get(app, "/loans", member_id="2")
    assert response == {"status": 200, "body": [
        {"loan_id": 2, "item": "VHF radio", "due": "2026-03-18"}]}
    assert get(app, "/loans", member_id="5")["body"] == []


@pytest.mark.points(1)
@pytest.mark.feedback(en="POST /return with a loan_id should still close exactly that loan.",
                      fr="POST /return avec un loan_id doit encore fermer exactement ce prêt.")
def test_return_still_works(app):
    assert post(app, "/return", loan_id="1") == {"status": 200, "body": {"closed": 1}}
    assert get(app, "/loans", member_id="1")["body"] == []
    assert len(get(app, "/loans", member_id="4")["body"]) == 1


@pytest.mark.points(2)
@pytest.mark.feedback(en="Names with an apostrophe (Jo D'Amours, Children's snowshoes) must "
                         "work: pass values as query parameters instead of removing or "
                         "escaping quotes by hand.",
                      fr="Les noms avec une apostrophe (Jo D'Amours, Children's snowshoes) "
                         "doivent fonctionner : passez les valeurs en paramètres de requête "
                         "au lieu de retirer ou d'échapper les apostrophes à la main.")
def test_apostrophes_work(app):
    assert post(app, "/login", name="Jo D'Amours", pin="7777") == {
        "status": 200, "body": {"member_id": 3}}
    assert post(app, "/login", name="Jo D'Amours", pin="1234")["status"] == 401
    assert names(get(app, "/items", search="children's")) == ["Children's snowshoes"]
    assert get(app, "/items", search="'") == {"status": 200, "body": [
        {"id": 2, "name": "Children's snowshoes", "category": "winter", "available": True}]}


# -- injections fail ------------------------------------------------------------------------

LOGIN_BYPASSES = ["Alex Martin' --", "' OR '1'='1' --", "' OR 1=1 --", "x' OR name LIKE '%",
                  "Alex Martin'/*"]


@pytest.mark.points(3)
@pytest.mark.feedback(en="Someone can log in without the right PIN by typing SQL in the name "
                         "field. Use ? placeholders for every value in the login queries.",
                      fr="On peut se connecter sans le bon NIP en tapant du SQL dans le champ "
                         "du nom. Utilisez des paramètres ? pour chaque valeur des requêtes "
                         "de connexion.")
def test_login_bypass_blocked(app):
    for payload in LOGIN_BYPASSES:
        response = post(app, "/login", name=payload, pin="0000")
        assert response["status"] == 401, payload


@pytest.mark.points(3)
@pytest.mark.feedback(en="The item search can be made to show other tables (members and their "
                         "PIN hashes). Pass the search text as a parameter.",
                      fr="On peut détourner la recherche d'articles pour afficher d'autres "
                         "tables (les membres et l'empreinte de leur NIP). Passez le texte "
                         "recherché en paramètre.")
def test_search_union_blocked(app):
    payloads = [
        "' UNION SELECT id, name, pin_hash, 1 FROM members --",
        "%' UNION SELECT id, name, salt, 0 FROM members WHERE '%'='",
        "zzz' OR 1=1 --",
    ]
    for payload in payloads:
        response = get(app, "/items", search=payload)
        assert response["status"] == 200, payload
        assert response["body"] == [], payload
        assert not leaks_members(response), payload


@pytest.mark.points(2)
@pytest.mark.feedback(en="The sort column is put into the SQL text. A column name cannot be a "
                         "parameter: accept only id, name or category and answer 400 to "
                         "anything else.",
                      fr="La colonne de tri est insérée dans le texte SQL. Un nom de colonne ne "
                         "peut pas être un paramètre : acceptez seulement id, name ou category "
                         "et répondez 400 à tout le reste.")
def test_sort_allow_list(app):
    payloads = ["price", "name; DROP TABLE items",
                "(CASE WHEN (SELECT substr(pin_hash, 1, 1) FROM members WHERE id = 1) = 'a' "
                "THEN name ELSE id END)",
                "name LIMIT 1"]
    for payload in payloads:
        response = get(app, "/items", sort=payload)
        assert response["status"] == 400, payload
        assert not leaks_members(response), payload
    assert len(get(app, "/items")["body"]) == 10


@pytest.mark.points(2)
@pytest.mark.feedback(en="GET /loans shows other members' loans when member_id is SQL such as "
                         "'1 OR 1=1'. Check that member_id is a whole number (else 400) and "
                         "pass it as a parameter.",
                      fr="GET /loans affiche les prêts des autres membres quand member_id est du "
                         "SQL comme « 1 OR 1=1 ». Vérifiez que member_id est un nombre entier "
                         "(sinon 400) et passez-le en paramètre.")
def test_loans_injection_blocked(app):
    for payload in ["1 OR 1=1", "0 UNION SELECT id, name, pin_hash FROM members", "-1", "2.0",
                    "", "１"]:
        response = get(app, "/loans", member_id=payload)
        assert response["status"] == 400, payload
        assert not leaks_members(response), payload


@pytest.mark.points(2)
@pytest.mark.feedback(en="POST /return with loan_id '1 OR 1=1' deletes every loan. Check that "
                         "loan_id is a whole number (else 400) and pass it as a parameter.",
                      fr="POST /return avec loan_id « 1 OR 1=1 » supprime tous les prêts. "
                         "Vérifiez que loan_id est un nombre entier (sinon 400) et passez-le "
                         "en paramètre.")
def test_return_injection_blocked(app):
    for payload in ["1 OR 1=1", "0 OR id > 0", "1; DELETE FROM loans"]:
        assert post(app, "/return", loan_id=payload)["status"] == 400, payload
    remaining = sum(len(get(app, "/loans", member_id=str(m))["body"]) for m in range(1, 6))
    assert remaining == 3


@pytest.mark.points(1)
@pytest.mark.feedback(en="In LIKE patterns, % and _ are wildcards: a search for '%' lists every "
                         "item. Escape them (ESCAPE clause) so they match only themselves.",
                      fr="Dans un motif LIKE, % et _ sont des jokers : une recherche de « % » "
                         "affiche tous les articles. Échappez-les (clause ESCAPE) pour qu'ils ne "
                         "correspondent qu'à eux-mêmes.")
def test_like_wildcards_escaped(app):
    assert names(get(app, "/items", search="%")) == ["Refurbished laptop 50%"]
    assert get(app, "/items", search="_")["body"] == []
    assert names(get(app, "/items", search="50%")) == ["Refurbished laptop 50%"]


@pytest.mark.points(1)
@pytest.mark.feedback(en="Error answers show the raw database error message, which tells an "
                         "attacker about your tables. Answer with a short generic message.",
                      fr="Les réponses d'erreur affichent le message brut de la base de "
                         "données, ce qui renseigne un attaquant sur vos tables. Répondez par un "
                         "court message générique.")
def test_errors_do_not_leak(app):
    response = answer(app, {"method": "GET", "path": "/nowhere", "params": {}})
    assert response["status"] == 404
    for request in ({"method": "GET", "path": "/items", "params": {"search": "a'"}},
                    {"method": "GET", "path": "/items", "params": {"sort": "name'"}},
                    {"method": "POST", "path": "/login", "params": {"name": "'", "pin": "1"}}):
        response = answer(app, request)
        text = repr(response).lower()
        assert "syntax" not in text and "sqlite" not in text and "unrecognized" not in text
