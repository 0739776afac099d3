"""Chess tactics with python-chess: material, hanging pieces, mate in one, a move chooser.

Positions come in and go out as plain text: FEN strings for positions, UCI strings
("e2e4", "e7e8q") for moves, square names ("e4") for squares.

Write the functions below (see the lab notebook for the rules). Only this file is graded.
"""

import chess

VALUES = {chess.PAWN: 1, chess.KNIGHT: 3, chess.BISHOP: 3, chess.ROOK: 5, chess.QUEEN: 9,
          chess.KING: 0}


def material_balance(fen):
    """White's material minus Black's, in pawns (P=1, N=3, B=3, R=5, Q=9, K=0)."""
    # YOUR CODE HERE
    raise NotImplementedError()


def hanging_pieces(fen):
    """Squares of the opponent's pieces (not the king) that the side to move attacks and
    that no opponent piece defends, sorted by name."""
    # YOUR CODE HERE
    raise NotImplementedError()


def mate_in_one(fen):
    """A move (UCI) that checkmates at once, or None when there is none."""
    # YOUR CODE HERE
    raise NotImplementedError()


def capture_gain(board, move):
    """Material won by ``move`` (a chess.Move) on ``board``: the captured value, minus the
    capturing piece's value when the opponent defends the target square; 0 for a
    non-capture. An en passant capture takes a pawn."""
    # YOUR CODE HERE
    raise NotImplementedError()


def allows_mate(board, move):
    """True when, after ``move`` (a chess.Move), the opponent can checkmate in one."""
    # YOUR CODE HERE
    raise NotImplementedError()


def choose_move(fen):
    """The move to play (UCI): a mate in one if there is one; otherwise the capture with the
    largest positive gain; otherwise any move. Never a move that lets the opponent mate in
    one, unless every move does."""
    # YOUR CODE HERE
    raise NotImplementedError()
