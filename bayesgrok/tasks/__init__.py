"""Seeded data generators: the tasks of the reproduced experiments.

Every task is a function ``task(seed, **params) -> Split``: the same seed gives identical
arrays, different seeds different data. Tasks are looked up by name in :data:`TASKS` or
drawn with :func:`make_task`. The reproduction tasks take ``seeding = "published"`` to
draw exactly the published code's data for a seed (:mod:`bayesgrok.tasks.published`).

Examples
--------
>>> from bayesgrok.tasks import make_task, task_parameters
>>> s = make_task("parity", 0, n_spurious=37)
>>> s.n_train, s.n_val, s.n_features
(1000, 100, 40)
>>> task_parameters("linear_sign")
{'n_points': 100, 'n_train': 2, 'slope': 0.3, 'seeding': 'bayesgrok'}
"""

from bayesgrok.tasks.conceal import CONCEAL_KINDS, conceal
from bayesgrok.tasks.digits import digits
from bayesgrok.tasks.idx import MNISTError, read_idx
from bayesgrok.tasks.mnist import mnist
from bayesgrok.tasks.mnist_files import load_mnist
from bayesgrok.tasks.modular import OPERATIONS, modular
from bayesgrok.tasks.modular_pairs import modular_pairs
from bayesgrok.tasks.parity import parity
from bayesgrok.tasks.registry import (
    TASKS,
    TaskParameterError,
    UnknownTaskError,
    make_task,
    task_parameters,
)
from bayesgrok.tasks.split import Split
from bayesgrok.tasks.toys import linear_sign, noisy_sine, zero_one

__all__ = [
    "CONCEAL_KINDS",
    "MNISTError",
    "OPERATIONS",
    "TASKS",
    "Split",
    "TaskParameterError",
    "UnknownTaskError",
    "conceal",
    "digits",
    "linear_sign",
    "load_mnist",
    "make_task",
    "mnist",
    "modular",
    "modular_pairs",
    "noisy_sine",
    "parity",
    "read_idx",
    "task_parameters",
    "zero_one",
]
