"""Grader of chess-tactics: the learner's tactics.py on known and hidden positions.

Expected answers are computed here, in the judge, with python-chess and a reference
implementation of the rules stated in the lab notebook; the learner's answers are plain
strings (FEN in, UCI / square names out).
"""

import random

import chess
import pytest

VALUES = {chess.PAWN: 1, chess.KNIGHT: 3, chess.BISHOP: 3, chess.ROOK: 5, chess.QUEEN: 9,
          chess.KING: 0}
MATES = [
    "6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1",  # back rank
    "r1bqkb1r/pppp1ppp/2n2n2/4p2Q/2B1P3/8/PPPP1PPP/RNB1K1NR w KQkq - 4 4",  # scholar's mate
    "6rk/6pp/8/6N1/8/8/8/6K1 w - - 0 1",  # smothered mate
    "rnbqkbnr/pppp1ppp/8/4p3/6P1/5P2/PPPPP2P/RNBQKBNR b KQkq g3 0 2",  # fool's mate, Black
    "k7/7P/1K6/8/8/8/8/8 w - - 0 1",  # promotion
    "k7/8/1K6/8/8/8/8/6Q1 w - - 0 1",
    "7k/5Q2/6K1/8/8/8/8/8 w - - 0 1",  # several mates
    "r5k1/8/8/8/8/8/5PPP/6K1 b - - 0 1",
    "8/8/8/8/8/5k2/4q3/6K1 b - - 0 1",
]
NO_MATES = [
    chess.STARTING_FEN,
    "k7/8/1Q6/8/8/8/8/7K w - - 0 1",  # tempting, but only stalemate-ish tries
    "r4rk1/5ppp/8/8/8/8/1q3PPP/3R2K1 b - - 0 1",
    "3r2k1/5ppp/8/8/8/8/5PPP/4R1K1 w - - 0 1",
    "5rk1/5ppp/8/8/8/3Q4/5PPP/6K1 w - - 0 1",
    "6k1/5ppp/q7/8/8/8/5PPP/1R3BK1 w - - 0 1",  # Rb8+ is met by Qc8
]
WINS_MATERIAL = [
    "4k3/8/8/3q4/8/8/8/3RK3 w - - 0 1",
    "4k3/1p6/2r1p3/3P4/8/8/8/4K3 w - - 0 1",  # pawn takes a defended rook
    "2kr3r/ppp2ppp/2n5/4b3/4q3/2N5/PPP2PPP/R1BQR1K1 w - - 0 1",
    "4k3/8/8/2pP4/8/8/8/4K3 w - c6 0 1",  # en passant
    "rn2k2r/ppp2ppp/8/4N3/2b5/8/PPP2PPP/R1B1K2R b KQkq - 0 1",
]
MATE_THREATS = [
    "3r2k1/5ppp/8/q7/8/8/5PPP/R5K1 w - - 0 1",  # Rxa5?? Rd1#
    "r5k1/5ppp/8/8/8/8/Q4PPP/1R4K1 b - - 0 1",  # Rxa2?? Rb8#
]


def mating_moves(board):
    found = []
    for move in board.legal_moves:
        board.push(move)
        if board.is_checkmate():
            found.append(move)
        board.pop()
    return found


def gain(board, move):
    if not board.is_capture(move):
        return 0
    captured = chess.PAWN if board.is_en_passant(move) else board.piece_type_at(move.to_square)
    value = VALUES[captured]
    if board.is_attacked_by(not board.turn, move.to_square):
        value -= VALUES[board.piece_type_at(move.from_square)]
    return value


def allows_mate(board, move):
    board.push(move)
    try:
        return bool(mating_moves(board))
    finally:
        board.pop()


def legal_move(board, uci):
    assert isinstance(uci, str), "moves must be UCI strings such as 'e2e4'"
    move = chess.Move.from_uci(uci)
    assert move in board.legal_moves, f"{uci} is not a legal move here"
    return move


def check_choice(fen, uci):
    """The learner's move follows the rules of choose_move (see the notebook)."""
    board = chess.Board(fen)
    move = legal_move(board, uci)
    if mating_moves(board):
        board.push(move)
        assert board.is_checkmate(), "a mate in one was available"
        return
    moves = list(board.legal_moves)
    safe = [m for m in moves if not allows_mate(board, m)]
    if safe:
        assert move in safe, "this move lets the opponent mate in one"
    best = max(gain(board, m) for m in (safe or moves))
    if best > 0:
        assert gain(board, move) == best, "a capture winning more material was available"


def random_positions(seed, count):
    rng = random.Random(seed)
    found = []
    while len(found) < count:
        board = chess.Board()
        for _ in range(rng.randint(8, 70)):
            moves = list(board.legal_moves)
            if not moves:
                break
            captures = [m for m in moves if board.is_capture(m)]
            board.push(rng.choice(captures if captures and rng.random() < 0.3 else moves))
        if not board.is_game_over():
            found.append(board.fen())
    return found


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="material_balance should add up White's pieces minus Black's with P=1, N=3, B=3, "
       "R=5, Q=9 and the king counting 0.",
    fr="material_balance doit faire la somme des pièces blanches moins les noires avec "
       "P=1, C=3, F=3, T=5, D=9, le roi comptant 0.")
def test_material_simple(learner):
    tactics = learner.module("tactics")
    assert tactics.material_balance(chess.STARTING_FEN) == 0
    assert tactics.material_balance("4k3/8/8/3q4/8/8/8/3RK3 w - - 0 1") == -4
    assert tactics.material_balance("6rk/6pp/8/6N1/8/8/8/6K1 w - - 0 1") == -4


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="material_balance gave a wrong total on some positions (for example with promoted "
       "pieces or many pieces off the board). Count every piece on the board.",
    fr="material_balance donne un mauvais total sur certaines positions (par exemple avec "
       "des pièces promues ou beaucoup de pièces prises). Comptez chaque pièce de "
       "l'échiquier.")
def test_material_hidden(learner):
    tactics = learner.module("tactics")
    for fen in [*MATES, *NO_MATES, *WINS_MATERIAL, "3k4/8/8/8/8/8/QQQ5/4K2q w - - 0 1",
                *random_positions(5, 8)]:
        board = chess.Board(fen)
        expected = sum(VALUES[p.piece_type] * (1 if p.color else -1)
                       for p in board.piece_map().values())
        assert tactics.material_balance(fen) == expected, fen


@pytest.mark.points(3)
@pytest.mark.feedback(
    en="mate_in_one missed a checkmate: try every legal move (promotions included), push it, "
       "test board.is_checkmate(), and pop it again.",
    fr="mate_in_one a manqué un mat : essayez chaque coup légal (promotions comprises), "
       "jouez-le, testez board.is_checkmate(), puis annulez-le.")
def test_mate_in_one_finds_mates(learner):
    tactics = learner.module("tactics")
    for fen in MATES:
        board = chess.Board(fen)
        uci = tactics.mate_in_one(fen)
        assert uci is not None, fen
        board.push(legal_move(board, uci))
        assert board.is_checkmate(), fen


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="mate_in_one should return None when no move checkmates (a check, or a stalemate, is "
       "not a mate).",
    fr="mate_in_one doit renvoyer None quand aucun coup ne fait mat (un échec, ou un pat, "
       "n'est pas un mat).")
def test_mate_in_one_none(learner):
    tactics = learner.module("tactics")
    for fen in NO_MATES:
        assert tactics.mate_in_one(fen) is None, fen


@pytest.mark.points(2)
@pytest.mark.feedback(
    en="hanging_pieces should list, sorted, the squares of the opponent's pieces (not the "
       "king) that the side to move attacks and that no opponent piece defends.",
    fr="hanging_pieces doit lister, triées, les cases des pièces adverses (pas le roi) que "
       "le camp au trait attaque et qu'aucune pièce adverse ne défend.")
def test_hanging_pieces(learner):
    tactics = learner.module("tactics")
    assert list(tactics.hanging_pieces("4k3/8/8/3n4/8/8/8/3RK3 w - - 0 1")) == ["d5"]
    assert list(tactics.hanging_pieces("4k3/8/4p3/3n4/8/8/8/3RK3 w - - 0 1")) == []
    for fen in [*WINS_MATERIAL, *MATE_THREATS, *NO_MATES, *random_positions(9, 12)]:
        board = chess.Board(fen)
        them = not board.turn
        expected = sorted(
            chess.square_name(sq) for sq, piece in board.piece_map().items()
            if piece.color == them and piece.piece_type != chess.KING
            and board.is_attacked_by(board.turn, sq) and not board.is_attacked_by(them, sq))
        assert list(tactics.hanging_pieces(fen)) == expected, fen


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="choose_move should play a mate in one whenever there is one, even when a big "
       "capture is also possible.",
    fr="choose_move doit jouer un mat en un coup dès qu'il existe, même si une grosse "
       "prise est aussi possible.")
def test_choose_move_takes_mate(learner):
    tactics = learner.module("tactics")
    for fen in ["6k1/5ppp/8/8/8/2N5/q4PPP/1R4K1 w - - 0 1", *MATES[:4]]:
        board = chess.Board(fen)
        board.push(legal_move(board, tactics.choose_move(fen)))
        assert board.is_checkmate(), fen


@pytest.mark.points(2)
@pytest.mark.feedback(
    en="choose_move should take the capture that wins the most material: the captured "
       "value, minus the capturing piece's value when the square is defended.",
    fr="choose_move doit faire la prise qui gagne le plus de matériel : la valeur prise, "
       "moins celle de la pièce qui prend quand la case est défendue.")
def test_choose_move_wins_material(learner):
    tactics = learner.module("tactics")
    for fen in WINS_MATERIAL:
        check_choice(fen, tactics.choose_move(fen))


@pytest.mark.points(2)
@pytest.mark.feedback(
    en="choose_move played a move that lets the opponent mate in one. Before choosing, drop "
       "every move after which the opponent has a mating reply.",
    fr="choose_move a joué un coup qui permet à l'adversaire de faire mat en un. Avant de "
       "choisir, écartez chaque coup après lequel l'adversaire a une réponse qui fait mat.")
def test_choose_move_avoids_mate(learner):
    tactics = learner.module("tactics")
    for fen in MATE_THREATS:
        check_choice(fen, tactics.choose_move(fen))


@pytest.mark.points(1)
@pytest.mark.feedback(
    en="On positions from random games, choose_move must always return a legal UCI move "
       "and follow its rules (mate first, never allow a mate, best capture).",
    fr="Sur des positions de parties au hasard, choose_move doit toujours renvoyer un coup "
       "UCI légal et suivre ses règles (mat d'abord, jamais de mat permis, meilleure prise).")
def test_choose_move_random_positions(learner):
    tactics = learner.module("tactics")
    for fen in random_positions(2026, 10):
        check_choice(fen, tactics.choose_move(fen))
