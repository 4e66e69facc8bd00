"""Truth tables of two-input logic gates; xor and xnor are not linearly separable."""
from __future__ import annotations

INPUTS = [(0, 0), (0, 1), (1, 0), (1, 1)]
GATES = {
    "and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "nand": [1, 1, 1, 0], "nor": [1, 0, 0, 0],
    "xor": [0, 1, 1, 0], "xnor": [1, 0, 0, 1],
}
LINEARLY_SEPARABLE = {"and", "or", "nand", "nor"}
