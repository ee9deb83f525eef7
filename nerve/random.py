"""The global random generator: ``manual_seed`` makes every random draw reproducible."""

from __future__ import annotations

import numpy as np

_state = {"rng": np.random.default_rng(0), "seed": 0}


def manual_seed(seed: int) -> Generator:
    """Seed the generator behind rand, randn, randint, dropout, init and shuffling."""
    _state["rng"] = np.random.default_rng(int(seed))
    _state["seed"] = int(seed)
    return default_generator


def seed() -> int:
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def initial_seed() -> int:
    return _state["seed"]


def rng(generator: Generator | None = None) -> np.random.Generator:
    """The numpy Generator to draw from: the one given, or the global one."""
    if generator is not None:
        return generator.rng
    return _state["rng"]


class Generator:
    """A seedable source of random numbers, as ``torch.Generator``."""

    def __init__(self, device: str = "cpu") -> None:
        self._rng = None
        self._seed = 0

    @property
    def rng(self) -> np.random.Generator:
        return _state["rng"] if self._rng is None else self._rng

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._rng = np.random.default_rng(int(seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        if self._rng is None:
            self._rng = np.random.default_rng()
        self._rng.bit_generator.state = state


class _DefaultGenerator(Generator):
    """The global generator; its state follows ``manual_seed``."""

    @property
    def rng(self) -> np.random.Generator:
        return _state["rng"]

    def manual_seed(self, seed: int) -> Generator:
        manual_seed(seed)
        return self

    def initial_seed(self) -> int:
        return _state["seed"]

    def set_state(self, state: dict) -> None:
        _state["rng"].bit_generator.state = state


default_generator = _DefaultGenerator()


def get_rng_state() -> dict:
    return _state["rng"].bit_generator.state


def set_rng_state(state: dict) -> None:
    _state["rng"].bit_generator.state = state
