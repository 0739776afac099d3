"""Supply run: a small pygame game, written as plain functions so it can be tested.

Drive the snowmobile over the bay ice, collect every supply crate and keep out of the
open water. Run it with:  python game.py   (arrows or WASD to drive, Esc to quit).

Write new_state, handle_event, step and draw_on (see the lab notebook for the rules).
Only this file is graded.
"""

import pygame

WIDTH, HEIGHT = 320, 240  # screen size in pixels
PLAYER_SIZE = 16  # the player is a 16 x 16 square
SPEED = 3  # pixels per frame
LIVES = 3
FPS = 30
COLOURS = {
    "ice": (225, 235, 245),  # background
    "ridge": (120, 130, 150),  # walls: pressure ridges
    "water": (20, 60, 120),  # holes: open water
    "crate": (200, 120, 40),
    "player": (200, 30, 30),
}
KEYS = {"left": "left", "a": "left", "right": "right", "d": "right",
        "up": "up", "w": "up", "down": "down", "s": "down"}

# A level: rectangles are [x, y, width, height] lists, in pixels, y pointing down.
LEVEL = {
    "start": [8, 112],
    "walls": [[80, 0, 12, 90], [80, 150, 12, 90], [190, 60, 70, 12], [190, 170, 70, 12]],
    "crates": [[40, 30, 12, 12], [130, 110, 12, 12], [220, 110, 12, 12], [290, 20, 12, 12],
               [280, 205, 12, 12]],
    "holes": [[120, 30, 40, 30], [120, 180, 50, 30], [250, 90, 20, 60]],
}


def to_rect(values):
    """A pygame.Rect from an [x, y, width, height] list."""
    return pygame.Rect(*values)


def from_rect(rect):
    """An [x, y, width, height] list from a pygame.Rect."""
    return [rect.x, rect.y, rect.width, rect.height]


def new_state(level=None):
    """The state at the start of a game on ``level`` (LEVEL when None).

    A dict with: "player" [x, y, PLAYER_SIZE, PLAYER_SIZE] at the level's start, "start"
    [x, y], copies of the level's "walls", "crates" and "holes" lists, "score" 0,
    "lives" LIVES, "frame" 0 and "status" "playing".
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def handle_event(held, event):
    """The directions held after one input event.

    ``event`` is a dict like {"type": "keydown", "key": "left"} ("keyup" to release);
    arrows and WASD map to the directions "left", "right", "up", "down"; other keys and
    event types change nothing. Each direction appears at most once, in pressing order.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def step(state, held):
    """The state one frame later, with the directions in ``held`` pressed.

    Rules, in this order (see the notebook): a game that is not "playing" does not change;
    move SPEED pixels along x, pushing the player back out of any wall it entered; then
    the same along y; keep the player on the screen; collect (remove, +1 score) every crate
    it touches; if it touches a hole: one life less and back to the start, "lost" at 0
    lives; "won" when no crate is left; frame + 1. Return a new dict.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def draw_on(surface, state):
    """Draw the state: ice background, then ridges, water, crates and the player."""
    # YOUR CODE HERE
    raise NotImplementedError()


def draw(state):
    """The frame as a (HEIGHT, WIDTH, 3) array of RGB values, drawn off screen."""
    surface = pygame.Surface((WIDTH, HEIGHT))
    draw_on(surface, state)
    return pygame.surfarray.array3d(surface).swapaxes(0, 1)


def main():
    """Play with a window (not graded)."""
    pygame.init()
    screen = pygame.display.set_mode((WIDTH, HEIGHT), pygame.SCALED)
    pygame.display.set_caption("Supply run")
    clock = pygame.time.Clock()
    state, held = new_state(), []
    while True:
        for ev in pygame.event.get():
            if ev.type == pygame.QUIT or (ev.type == pygame.KEYDOWN and ev.key == pygame.K_ESCAPE):
                pygame.quit()
                return
            if ev.type in (pygame.KEYDOWN, pygame.KEYUP):
                kind = "keydown" if ev.type == pygame.KEYDOWN else "keyup"
                held = handle_event(held, {"type": kind, "key": pygame.key.name(ev.key)})
        state = step(state, held)
        draw_on(screen, state)
        pygame.display.set_caption(
            f"Supply run: {state['score']} crates, {state['lives']} lives, {state['status']}")
        pygame.display.flip()
        clock.tick(FPS)


if __name__ == "__main__":
    main()
