"""Datasets and data utilities: IDX files, MNIST, Fashion-MNIST, the shipped mnist-mini, splits and batches.

>>> from trainlab.data import load_dataset
>>> data = load_dataset("mnist")                     # shipped with trainlab: works offline
>>> data.x_train.shape, data.x_train.dtype, data.name, data.source
>>> (x_train, y_train), (x_test, y_test) = data      # Keras's habit

Modules: :mod:`.idx` (the file format), :mod:`.catalog` (what each dataset is), :mod:`.sources`
(where files are looked for), :mod:`.download`, :mod:`.cache`, :mod:`.checksums`, :mod:`.datasets`
(loading), :mod:`.inventory` (what is available), :mod:`.splits`, :mod:`.batches`,
:mod:`.preprocessing`. See docs/data.md.
"""

from trainlab.data.batches import (
    batch_indices,
    iid_minibatches,
    iterate_minibatches,
    sample_minibatch,
)
from trainlab.data.cache import cache_root
from trainlab.data.catalog import DATASETS, DatasetSpec, FileSpec
from trainlab.data.datasets import Dataset, load_dataset, load_mnist, mini_split
from trainlab.data.download import download_dataset
from trainlab.data.errors import (
    ChecksumError,
    DataError,
    DataNotFoundError,
    DownloadError,
    IDXError,
)
from trainlab.data.idx import read_idx, read_idx_header, write_idx
from trainlab.data.inventory import DatasetStatus, dataset_status, list_datasets
from trainlab.data.preprocessing import Standardizer, one_hot
from trainlab.data.splits import shuffle_arrays, split_indices, stratified_quotas, train_val_split

__all__ = [
    "DATASETS",
    "ChecksumError",
    "DataError",
    "DataNotFoundError",
    "Dataset",
    "DatasetSpec",
    "DatasetStatus",
    "DownloadError",
    "FileSpec",
    "IDXError",
    "Standardizer",
    "batch_indices",
    "cache_root",
    "dataset_status",
    "download_dataset",
    "iid_minibatches",
    "iterate_minibatches",
    "list_datasets",
    "load_dataset",
    "load_mnist",
    "mini_split",
    "one_hot",
    "read_idx",
    "read_idx_header",
    "sample_minibatch",
    "shuffle_arrays",
    "split_indices",
    "stratified_quotas",
    "train_val_split",
    "write_idx",
]
