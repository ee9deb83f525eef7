"""Datasets: the shipped 8x8 digits, MNIST, Fashion-MNIST and CIFAR-10 from files, text
corpora and small sequence tasks."""

from nerve.data.datasets.cifar import CIFAR10, UnsafePickleError, load_pickle
from nerve.data.datasets.digits import Digits, load_digits
from nerve.data.datasets.mnist import (
    MNIST,
    DataFileError,
    DatasetNotFoundError,
    DownloadError,
    FashionMNIST,
    read_idx,
)
from nerve.data.datasets.text import (
    CharDataset,
    CharVocab,
    char_datasets,
    pydoc_corpus,
    split_text,
    text_corpus,
    unigram_perplexity,
)
from nerve.data.datasets.timeseries import hello, noisy_sine, system_identification

__all__ = ["Digits", "load_digits"]
__all__ += [
    "CIFAR10",
    "MNIST",
    "CharDataset",
    "CharVocab",
    "DataFileError",
    "DatasetNotFoundError",
    "DownloadError",
    "FashionMNIST",
    "UnsafePickleError",
    "char_datasets",
    "hello",
    "load_pickle",
    "noisy_sine",
    "pydoc_corpus",
    "read_idx",
    "split_text",
    "system_identification",
    "text_corpus",
    "unigram_perplexity",
]
