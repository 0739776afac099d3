"""Chess tactics with python-chess: material, hanging pieces, mate in one, a move chooser.

Positions come in and go out as plain text: FEN strings for positions, UCI strings
("e2e4", "e7e8q") for moves, square names ("e4") for squares.

Instructor solution of the chess-tactics lab.
"""

import chess

VALUES = {chess.PAWN: 1, chess.KNIGHT: 3, chess.BISHOP: 3, chess.ROOK: 5, chess.QUEEN: 9,
          chess.KING: 0}


def material_balance(fen):
    """White's material minus Black's, in pawns (P=1, N=3, B=3, R=5, Q=9, K=0)."""
    board = chess.Board(fen)
    total = 0
    for piece in board.piece_map().values():
        value = VALUES[piece.piece_type]
        total += value if piece.color == chess.WHITE else -value
    return total


def hanging_pieces(fen):
    """Squares of the opponent's pieces (not the king) that the side to move attacks and
    that no opponent piece defends, sorted by name."""
    board = chess.Board(fen)
    them = not board.turn
    found = []
    for square, piece in board.piece_map().items():
        if piece.color != them or piece.piece_type == chess.KING:
            continue
        if board.is_attacked_by(board.turn, square) and not board.is_attacked_by(them, square):
            found.append(chess.square_name(square))
    return sorted(found)


def mate_in_one(fen):
    """A move (UCI) that checkmates at once, or None when there is none."""
    board = chess.Board(fen)
    for move in board.legal_moves:
        board.push(move)
        mate = board.is_checkmate()
        board.pop()
        if mate:
            return move.uci()
    return None


def capture_gain(board, move):
    """Material won by ``move`` (a chess.Move) on ``board``: the captured value, minus the
    capturing piece's value when the opponent defends the target square; 0 for a
    non-capture. An en passant capture takes a pawn."""
    if not board.is_capture(move):
        return 0
    if board.is_en_passant(move):
        captured = chess.PAWN
    else:
        captured = board.piece_type_at(move.to_square)
    gain = VALUES[captured]
    if board.is_attacked_by(not board.turn, move.to_square):
        gain -= VALUES[board.piece_type_at(move.from_square)]
    return gain


def allows_mate(board, move):
    """True when, after ``move`` (a chess.Move), the opponent can checkmate in one."""
    board.push(move)
    try:
        return mate_in_one(board.fen()) is not None
    finally:
        board.pop()


def choose_move(fen):
    """The move to play (UCI): a mate in one if there is one; otherwise the capture with the
    largest positive gain; otherwise any move. Never a move that lets the opponent mate in
    one, unless every move does."""
    mate = mate_in_one(fen)
    if mate is not None:
        return mate
    board = chess.Board(fen)
    moves = list(board.legal_moves)
    safe = [m for m in moves if not allows_mate(board, m)] or moves
    best = max(safe, key=lambda m: capture_gain(board, m))
    return best.uci()
