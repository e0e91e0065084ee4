"""Text corpora for language models: Tiny Shakespeare, as character ids."""
from __future__ import annotations

import numpy as np

from dezero_core.data import Dataset
from dezero_core.data.transforms import Transform
from dezero_core.download import RemoteFile, fetch


class Shakespeare(Dataset):
    """Andrej Karpathy's Tiny Shakespeare (1.1 MB of plays) as a character-level sequence.

    ``data[i]`` is the id of character ``i`` and ``label[i]`` that of character ``i + 1``; ids are
    given in order of first appearance (``char_to_id``, ``id_to_char``), as in the book. Use it with
    :class:`~dezero_core.data.SeqDataLoader`.
    """

    subdir = "shakespeare"
    system_dirs: tuple[str, ...] = ()
    file = RemoteFile("tinyshakespeare.txt",
                      "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
                      ("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
                       "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt",
                       "https://cdn.jsdelivr.net/gh/karpathy/char-rnn@master/data/tinyshakespeare/input.txt"))

    def __init__(self, train: bool = True, transform: Transform | None = None,
                 target_transform: Transform | None = None) -> None:
        self.train = train
        text = fetch(self.file, self.subdir, self.system_dirs).read_text(encoding="utf-8")
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        uniques, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        order = np.argsort(first)  # the unique characters by first appearance: id i is order[i]
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[order] = np.arange(len(uniques))
        ids = rank[inverse]
        self.id_to_char = {i: chr(uniques[u]) for i, u in enumerate(order)}
        self.char_to_id = {c: i for i, c in self.id_to_char.items()}
        super().__init__(ids[:-1], ids[1:], transform=transform, target_transform=target_transform)
