"""Grader of supply-run: the learner's game.py is driven frame by frame, headless.

Every test builds its own level, so the learner's LEVEL may be changed freely. The
scripted-play test compares every frame with a reference implementation of the rules.
"""

import random

import pygame
import pytest

WIDTH, HEIGHT, SIZE, SPEED, LIVES = 320, 240, 16, 3, 3
OPEN = {"start": [100, 100], "walls": [], "crates": [[300, 10, 8, 8]], "holes": []}
COLOURS = {"ice": (225, 235, 245), "ridge": (120, 130, 150), "water": (20, 60, 120),
           "crate": (200, 120, 40), "player": (200, 30, 30)}
ORIGINAL_LEVEL = {
    "start": [8, 112],
    "walls": [[80, 0, 12, 90], [80, 150, 12, 90], [190, 60, 70, 12], [190, 170, 70, 12]],
    "crates": [[40, 30, 12, 12], [130, 110, 12, 12], [220, 110, 12, 12], [290, 20, 12, 12],
               [280, 205, 12, 12]],
    "holes": [[120, 30, 40, 30], [120, 180, 50, 30], [250, 90, 20, 60]],
}
MAZE = {
    "start": [150, 10],
    "walls": [[0, 60, 140, 10], [170, 60, 150, 10], [60, 130, 260, 10], [40, 140, 10, 100]],
    "crates": [[10, 10, 12, 12], [300, 100, 12, 12], [10, 200, 12, 12], [150, 90, 8, 8]],
    "holes": [[100, 80, 30, 30], [200, 180, 60, 20], [0, 100, 20, 20]],
}


def play(game, level, frames):
    """Run the learner's game for a list of per-frame held-direction lists."""
    state = game.new_state(level)
    for held in frames:
        state = game.step(state, held)
    return state


def reference_step(state, held):
    if state["status"] != "playing":
        return state
    state = {**state, "crates": [list(c) for c in state["crates"]]}
    dx = SPEED * (("right" in held) - ("left" in held))
    dy = SPEED * (("down" in held) - ("up" in held))
    player = pygame.Rect(*state["player"])
    walls = [pygame.Rect(*w) for w in state["walls"]]
    player.x += dx
    for wall in walls:
        if player.colliderect(wall):
            if dx > 0:
                player.right = wall.left
            elif dx < 0:
                player.left = wall.right
    player.y += dy
    for wall in walls:
        if player.colliderect(wall):
            if dy > 0:
                player.bottom = wall.top
            elif dy < 0:
                player.top = wall.bottom
    player.clamp_ip(pygame.Rect(0, 0, WIDTH, HEIGHT))
    kept = [c for c in state["crates"] if not player.colliderect(pygame.Rect(*c))]
    state["score"] += len(state["crates"]) - len(kept)
    state["crates"] = kept
    if player.collidelist([pygame.Rect(*h) for h in state["holes"]]) >= 0:
        state["lives"] -= 1
        player.topleft = state["start"]
        if state["lives"] <= 0:
            state["status"] = "lost"
    if not kept and state["status"] == "playing":
        state["status"] = "won"
    state["player"] = [player.x, player.y, player.width, player.height]
    state["frame"] += 1
    return state


def summary(state):
    return (list(state["player"]), sorted(list(c) for c in state["crates"]), state["score"],
            state["lives"], state["status"], state["frame"])


def random_frames(seed, count):
    rng = random.Random(seed)
    frames, held = [], []
    for _ in range(count):
        if rng.random() < 0.15:
            held = rng.sample(["left", "right", "up", "down"], rng.choice((0, 1, 1, 2)))
        frames.append(list(held))
    return frames


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="new_state should put the player (16 x 16) at the level's start with score 0, "
       "3 lives, frame 0 and status 'playing', and copy the walls, crates and holes.",
    fr="new_state doit placer le joueur (16 x 16) au départ du niveau avec un score de 0, "
       "3 vies, frame 0 et le statut 'playing', et copier murs, caisses et trous.")
def test_new_state(learner):
    state = learner.module("game").new_state(MAZE)
    assert list(state["player"]) == [150, 10, SIZE, SIZE]
    assert list(state["start"]) == [150, 10]
    assert [list(c) for c in state["crates"]] == MAZE["crates"]
    assert [list(w) for w in state["walls"]] == MAZE["walls"]
    assert [list(h) for h in state["holes"]] == MAZE["holes"]
    assert (state["score"], state["lives"], state["frame"], state["status"]) == (
        0, LIVES, 0, "playing")


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="Each frame the player should move 3 pixels in the held direction (y grows "
       "downwards), and frame should go up by one.",
    fr="À chaque image, le joueur doit se déplacer de 3 pixels dans la direction tenue "
       "(y augmente vers le bas), et frame doit augmenter de un.")
def test_moves_each_direction(learner):
    game = learner.module("game")
    for held, expected in ((["right"], [103, 100]), (["left"], [97, 100]),
                           (["up"], [100, 97]), (["down"], [100, 103])):
        state = game.step(game.new_state(OPEN), held)
        assert list(state["player"][:2]) == expected
        assert state["frame"] == 1
    state = play(game, OPEN, [["right"]] * 10)
    assert list(state["player"][:2]) == [130, 100] and state["frame"] == 10


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="Two directions at once should combine (right + down moves diagonally) and "
       "opposite directions should cancel out.",
    fr="Deux directions à la fois doivent se combiner (droite + bas = diagonale) et des "
       "directions opposées doivent s'annuler.")
def test_diagonal_and_opposite(learner):
    game = learner.module("game")
    assert list(play(game, OPEN, [["right", "down"]])["player"][:2]) == [103, 103]
    assert list(play(game, OPEN, [["up", "left"]] * 2)["player"][:2]) == [94, 94]
    assert list(play(game, OPEN, [["left", "right"]])["player"][:2]) == [100, 100]
    assert list(play(game, OPEN, [[]])["player"][:2]) == [100, 100]


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="The player must never leave the 320 x 240 screen: clamp it to the edges.",
    fr="Le joueur ne doit jamais sortir de l'écran de 320 x 240 : bloquez-le aux bords.")
def test_stays_on_screen(learner):
    game = learner.module("game")
    assert list(play(game, OPEN, [["left", "up"]] * 60)["player"][:2]) == [0, 0]
    assert list(play(game, OPEN, [["right", "down"]] * 80)["player"][:2]) == [
        WIDTH - SIZE, HEIGHT - SIZE]


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="Walls should stop the player: after moving along x, push it back so its edge "
       "touches the wall it entered (same along y). It must never overlap a wall.",
    fr="Les murs doivent arrêter le joueur : après le déplacement en x, repoussez-le pour "
       "que son bord touche le mur traversé (de même en y). Il ne doit jamais chevaucher "
       "un mur.")
def test_walls_block(learner):
    game = learner.module("game")
    level = {**OPEN, "walls": [[130, 80, 10, 60], [60, 20, 100, 10]]}
    state = game.new_state(level)
    for _ in range(20):
        state = game.step(state, ["right"])
        assert state["player"][0] + SIZE <= 130
    assert list(state["player"][:2]) == [114, 100]
    state = play(game, level, [["up"]] * 40)
    assert list(state["player"][:2]) == [100, 30]


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="Pressing into a wall diagonally should slide along it: handle x and y "
       "separately so the free direction still moves.",
    fr="En poussant en diagonale contre un mur, le joueur doit glisser le long : traitez x "
       "et y séparément pour que la direction libre avance encore.")
def test_slides_along_wall(learner):
    game = learner.module("game")
    level = {**OPEN, "walls": [[120, 0, 10, 240]]}
    state = play(game, level, [["right", "down"]] * 10)
    assert list(state["player"][:2]) == [104, 130]


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="Touching a crate should remove it from the state's crates and add 1 to the score.",
    fr="Toucher une caisse doit la retirer des caisses de l'état et ajouter 1 au score.")
def test_collects_crates(learner):
    game = learner.module("game")
    level = {**OPEN, "crates": [[130, 102, 8, 8], [300, 10, 8, 8]]}
    state = play(game, level, [["right"]] * 4)
    assert state["score"] == 0 and len(state["crates"]) == 2
    state = game.step(state, ["right"])
    assert state["score"] == 1 and [list(c) for c in state["crates"]] == [[300, 10, 8, 8]]
    assert state["status"] == "playing"


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="Touching open water should cost one life and put the player back at the start.",
    fr="Toucher l'eau libre doit coûter une vie et ramener le joueur au départ.")
def test_hole_costs_a_life(learner):
    game = learner.module("game")
    level = {**OPEN, "holes": [[100, 125, 30, 30]]}
    state = play(game, level, [["down"]] * 3)
    assert state["lives"] == LIVES and list(state["player"][:2]) == [100, 109]
    state = game.step(state, ["down"])
    assert state["lives"] == LIVES - 1 and list(state["player"][:2]) == [100, 100]


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="The game should end: status 'lost' when the last life is gone, 'won' when the last "
       "crate is collected, and step should then leave the state unchanged.",
    fr="La partie doit se terminer : statut 'lost' quand la dernière vie est perdue, 'won' "
       "quand la dernière caisse est ramassée, et step ne doit plus rien changer ensuite.")
def test_game_over_and_win(learner):
    game = learner.module("game")
    level = {**OPEN, "holes": [[100, 118, 16, 4]]}
    state = game.new_state(level)
    for _ in range(LIVES):
        state = game.step(state, ["down"])
    assert state["status"] == "lost" and state["lives"] == 0
    after = game.step(state, ["right"])
    assert summary(after) == summary(state)
    level = {**OPEN, "crates": [[118, 100, 4, 4]]}
    state = game.step(game.new_state(level), ["right"])
    assert state["status"] == "won" and state["score"] == 1
    assert summary(game.step(state, ["left"])) == summary(state)


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="handle_event should add a direction on 'keydown' and remove it on 'keyup', accept "
       "arrows and WASD, ignore other keys, and never list a direction twice.",
    fr="handle_event doit ajouter une direction sur 'keydown' et la retirer sur 'keyup', "
       "accepter les flèches et WASD, ignorer les autres touches, et ne jamais lister une "
       "direction deux fois.")
def test_handle_event(learner):
    handle = learner.module("game").handle_event
    held = handle([], {"type": "keydown", "key": "right"})
    assert list(held) == ["right"]
    held = handle(held, {"type": "keydown", "key": "w"})
    assert list(held) == ["right", "up"]
    held = handle(held, {"type": "keydown", "key": "d"})
    assert sorted(held) == ["right", "up"]
    held = handle(held, {"type": "keydown", "key": "space"})
    assert sorted(held) == ["right", "up"]
    held = handle(held, {"type": "keyup", "key": "right"})
    assert list(held) == ["up"]
    held = handle(held, {"type": "mousemotion", "key": "s"})
    assert list(held) == ["up"]
    assert list(handle(["up"], {"type": "keyup", "key": "left"})) == ["up"]


@pytest.mark.points(2)
@pytest.mark.feedback(
    en="A long scripted game (random key presses on hidden levels) did not match the rules "
       "frame by frame. Check the order of the rules in the notebook.",
    fr="Une longue partie scriptée (touches au hasard sur des niveaux cachés) ne suit pas "
       "les règles image par image. Vérifiez l'ordre des règles dans le notebook.")
def test_scripted_play(learner):
    game = learner.module("game")
    for level, seed in ((ORIGINAL_LEVEL, 1), (MAZE, 2), (MAZE, 3)):
        events, held = [], []
        for frame_held in random_frames(seed, 200):
            for direction in set(held) - set(frame_held):
                events.append({"type": "keyup", "key": direction})
            for direction in frame_held:
                if direction not in held:
                    events.append({"type": "keydown", "key": direction})
            events.append(None)
            held = frame_held
        state = game.new_state(level)
        expected = {**level, "player": [*level["start"], SIZE, SIZE], "score": 0,
                    "lives": LIVES, "frame": 0, "status": "playing"}
        held = []
        for event in events:
            if event is not None:
                held = list(game.handle_event(held, event))
                continue
            state = game.step(state, held)
            expected = reference_step(expected, held)
            assert summary(state) == summary(expected)


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="draw(state) should paint the ice background, then walls, water, crates and the "
       "player with the COLOURS given in game.py.",
    fr="draw(state) doit peindre le fond de glace, puis les murs, l'eau, les caisses et le "
       "joueur avec les couleurs COLOURS de game.py.")
def test_draw(learner):
    game = learner.module("game")
    state = game.new_state(MAZE)
    frame = game.draw(state)
    assert tuple(frame.shape) == (HEIGHT, WIDTH, 3)
    checks = {(18, 158): "player", (14, 14): "crate", (65, 20): "ridge", (90, 110): "water",
              (30, 300): "ice", (239, 319): "ice"}
    for (y, x), name in checks.items():
        assert tuple(int(v) for v in frame[y, x]) == COLOURS[name], name
    assert tuple(int(v) for v in frame[18, 164]) == COLOURS["player"]
    moved = game.draw(game.step(state, ["left"]))
    assert tuple(int(v) for v in moved[18, 164]) == COLOURS["ice"]
