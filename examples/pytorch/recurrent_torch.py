"""Recurrent's language models and their ``recurrent-lm/1`` checkpoints in PyTorch.

The same model as ``LanguageModel`` of ``@recurrent/layers`` (one-hot or embedding input, a
stack of RNN/LSTM/GRU layers, a ``Linear`` head) with the same ``state_dict()`` names, the same
tokenization and vocabulary as ``@recurrent/tokenizers``, and the checkpoint files both sides
read and write: ``config.json`` + ``model.safetensors`` (the format is documented in
``packages/layers/src/checkpoint/README.md``).

As a library::

    from recurrent_torch import RNNModel, build_vocab, load_checkpoint, save_checkpoint, tokenize

As a command line, the reference side of ``pnpm recurrent corpus|generate|eval`` with the same
flags (``python3 recurrent_torch.py generate --checkpoint DIR --prefix P --tokens 50``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import struct
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

FORMAT = "recurrent-lm/1"
CONFIG_FILE = "config.json"
MODEL_FILE = "model.safetensors"
EXPECTED_FILE = "expected.json"
UNK = "<unk>"
EVAL_SAMPLER = "sequential without random offset (offset 0)"

CELLS = ("lstm", "gru", "rnn")
LEVELS = ("char", "word")
PREPROCESS = ("d2l", "none")
CONFIG_KEYS = (
    "format",
    "cell",
    "nonlinearity",
    "input",
    "embeddingDim",
    "hiddenSize",
    "numLayers",
    "bidirectional",
    "dropout",
    "tokenizer",
    "vocab",
)
TRAINED_WITH_KEYS = ("engine", "backend", "worldSize")


class CheckpointError(ValueError):
    """A checkpoint that does not follow ``recurrent-lm/1``; the message names the key or tensor."""


# --- text, tokens, vocabulary --------------------------------------------------------------


def read_text(path: str) -> str:
    """A UTF-8 file as ``readTextFile`` reads it: strict UTF-8, a leading BOM dropped, ``\\r`` kept."""
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode("utf-8")  # UnicodeDecodeError names the offset of the first bad byte
    return text[1:] if text.startswith("\ufeff") else text


_NON_LETTERS = re.compile("[^A-Za-z]+")


def d2l_line(line: str) -> str:
    """d2l's per-line preprocessing: runs of non-letters become one space, trimmed, lower-cased."""
    return _NON_LETTERS.sub(" ", line).strip().lower()


def tokenize(text: str, level: str = "char", preprocess: str = "none") -> list[str]:
    """Tokens as ``tokenizeText`` makes them.

    ``char``: code points; ``word``: ``str.split()``. With ``d2l`` the text is split at ``\\n``,
    each line preprocessed and split, and the lines' tokens concatenated with nothing between
    them; with ``none`` the whole text is split as it is (newlines are char tokens).
    """
    if level not in LEVELS:
        raise ValueError(f"tokenize: 'level' must be one of {', '.join(LEVELS)}, got {level!r}")
    if preprocess not in PREPROCESS:
        raise ValueError(f"tokenize: 'preprocess' must be one of {', '.join(PREPROCESS)}, got {preprocess!r}")
    split = list if level == "char" else str.split
    if preprocess == "none":
        return split(text)
    tokens: list[str] = []
    for line in text.split("\n"):
        tokens.extend(split(d2l_line(line)))
    return tokens


def separator(level: str) -> str:
    """What joins tokens back into text: nothing for characters, one space for words."""
    return " " if level == "word" else ""


@dataclass(frozen=True)
class Vocab:
    """``tokens[i]`` is the token with id ``i``; unknown tokens map to ``unk`` (None: an error)."""

    tokens: tuple[str, ...]
    unk: str | None = UNK

    def __post_init__(self) -> None:
        index = {t: i for i, t in enumerate(self.tokens)}
        if len(index) != len(self.tokens):
            raise CheckpointError("Vocab: 'tokens' must be unique")
        if self.unk is not None and self.unk not in index:
            raise CheckpointError(f"Vocab: 'unk' must be None or one of the tokens, got {self.unk!r}")
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        index: dict[str, int] = self._index  # type: ignore[attr-defined]
        unk_id = None if self.unk is None else index[self.unk]
        ids = []
        for t in tokens:
            i = index.get(t, unk_id)
            if i is None:
                raise KeyError(f"Vocab.encode: {t!r} is not in the vocabulary (it has no unk token)")
            ids.append(i)
        return ids

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[i] for i in ids]


def token_counts(tokens: Iterable[str]) -> list[tuple[str, int]]:
    """Every distinct token with its count, most frequent first, ties in first-seen order (a
    ``Counter`` keeps insertion order and ``most_common`` sorts stably)."""
    return Counter(tokens).most_common()


def build_vocab(tokens: Iterable[str], unk: str | None = UNK) -> Vocab:
    """d2l's ``Vocab`` (as ``new Vocab(tokens)``): ``unk`` first, then the tokens by descending
    count, ties in order of first occurrence."""
    itos = [] if unk is None else [unk]
    itos.extend(t for t, _ in token_counts(tokens) if t != unk)
    return Vocab(tuple(itos), unk)


# --- the model -------------------------------------------------------------------------------


class RNNModel(nn.Module):
    """d2l's ``RNNModel`` as Recurrent's ``LanguageModel``: token ids ``[B, T]`` -> one-hot or
    ``embedding`` -> ``rnn`` (``nn.LSTM``/``nn.GRU``/``nn.RNN``, sequence-first, ``num_layers``,
    ``dropout`` between layers) -> ``linear`` -> logits ``[B, T, V]``.

    ``state_dict()`` keys: ``embedding.weight`` (embedding input only), ``rnn.weight_ih_l{k}``,
    ``rnn.weight_hh_l{k}``, ``rnn.bias_ih_l{k}``, ``rnn.bias_hh_l{k}``, ``linear.weight``,
    ``linear.bias``: exactly those of the TypeScript model.
    """

    def __init__(
        self,
        cell: str,
        vocab_size: int,
        hidden_size: int,
        num_layers: int = 1,
        embedding_dim: int | None = None,
        dropout: float = 0.0,
        nonlinearity: str = "tanh",
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"RNNModel: 'cell' must be one of {', '.join(CELLS)}, got {cell!r}")
        if nonlinearity not in ("tanh", "relu") or (nonlinearity == "relu" and cell != "rnn"):
            raise ValueError(f"RNNModel: 'nonlinearity' must be 'tanh' (or 'relu' for cell 'rnn'), got {nonlinearity!r}")
        for name, value in (("vocab_size", vocab_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"RNNModel: '{name}' must be a positive integer, got {value!r}")
        if embedding_dim is not None and (not isinstance(embedding_dim, int) or embedding_dim < 1):
            raise ValueError(f"RNNModel: 'embedding_dim' must be None (one-hot) or a positive integer, got {embedding_dim!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"RNNModel: 'dropout' must be in [0, 1), got {dropout!r}")
        self.cell = cell
        self.nonlinearity = nonlinearity
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim) if embedding_dim is not None else None
        input_size = embedding_dim if embedding_dim is not None else vocab_size
        if cell == "lstm":
            self.rnn: nn.RNNBase = nn.LSTM(input_size, hidden_size, num_layers, dropout=dropout)
        elif cell == "gru":
            self.rnn = nn.GRU(input_size, hidden_size, num_layers, dropout=dropout)
        else:
            self.rnn = nn.RNN(input_size, hidden_size, num_layers, nonlinearity=nonlinearity, dropout=dropout)
        self.linear = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids: torch.Tensor, state=None):
        """ids ``[B, T]`` (int64) and the state (zeros when None) -> logits ``[B, T, V]`` and the
        final state: ``h`` ``[L, B, H]``, or ``(h, c)`` for LSTM."""
        x = ids.t()  # [T, B]
        x = self.embedding(x) if self.embedding is not None else F.one_hot(x, self.vocab_size).float()  # [T, B, E or V]
        out, state = self.rnn(x, state)  # [T, B, H]
        return self.linear(out).transpose(0, 1), state  # [B, T, V]

    def config(self) -> dict:
        """The model part of ``config.json``."""
        return {
            "cell": self.cell,
            "nonlinearity": self.nonlinearity,
            "input": "embedding" if self.embedding is not None else "one-hot",
            "embeddingDim": self.embedding.embedding_dim if self.embedding is not None else None,
            "hiddenSize": self.rnn.hidden_size,
            "numLayers": self.rnn.num_layers,
            "bidirectional": False,
            "dropout": _json_number(float(self.rnn.dropout)),
        }


def _json_number(x: float) -> int | float:
    """``0`` rather than ``0.0``: the number as JavaScript's ``JSON.stringify`` writes it."""
    return int(x) if x.is_integer() else x


def detach_state(state):
    """Cuts the carried state from the graph (truncated back-propagation through time)."""
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


# --- safetensors ------------------------------------------------------------------------------


def write_safetensors(path: str, tensors: dict[str, torch.Tensor]) -> None:
    """float32 tensors by name in safetensors: an 8-byte little-endian header length, the compact
    JSON header (``__metadata__`` first, padded with spaces to a multiple of 8), then the data in
    ascending order of name, row-major, little-endian: the bytes ``@recurrent/core`` writes. The
    ``safetensors`` package is used when installed (the same tensors; its header may differ)."""
    arrays = {name: t.detach().to("cpu", torch.float32).contiguous() for name, t in tensors.items()}
    try:
        from safetensors.torch import save_file  # type: ignore[import-not-found]
    except ImportError:
        save_file = None
    if save_file is not None:
        save_file(arrays, path, metadata={"format": "pt"})
        return
    header: dict = {"__metadata__": {"format": "pt"}}
    chunks = []
    offset = 0
    for name in sorted(arrays):
        data = arrays[name].numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arrays[name].shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for data in chunks:
            f.write(data)
        f.flush()
        os.fsync(f.fileno())


def read_safetensors(path: str) -> dict[str, torch.Tensor]:
    """The float32 tensors of a safetensors file, checked against the file's size."""
    import numpy as np

    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise CheckpointError(f"{path}: {len(data)} bytes, too short for a safetensors header")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise CheckpointError(f"{path}: header length {n} is larger than the {len(data) - 8} bytes after it")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    body = data[8 + n :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info.get("dtype") != "F32":
            raise CheckpointError(f"{path}: tensor '{name}' has dtype {info.get('dtype')}, expected F32")
        begin, end = info["data_offsets"]
        shape = info["shape"]
        if not 0 <= begin <= end <= len(body) or end - begin != 4 * math.prod(shape):
            raise CheckpointError(f"{path}: tensor '{name}' of shape {shape} has data_offsets [{begin}, {end}] that do not fit")
        array = np.frombuffer(body, dtype="<f4", count=(end - begin) // 4, offset=begin).astype(np.float32)
        tensors[name] = torch.from_numpy(array.reshape(shape).copy())
    return tensors


# --- checkpoints ------------------------------------------------------------------------------


def _fail(key: str, expected: str, got) -> None:
    raise CheckpointError(f"load_checkpoint: '{key}' must be {expected}, got {json.dumps(got, ensure_ascii=False)}")


def _exact_keys(where: str, obj: dict, keys: Sequence[str], optional: Sequence[str] = ()) -> None:
    for k in keys:
        if k not in obj:
            raise CheckpointError(f"load_checkpoint: missing key '{where}{k}'")
    for k in obj:
        if k not in keys and k not in optional:
            raise CheckpointError(f"load_checkpoint: unknown key '{where}{k}' (expected {', '.join([*keys, *optional])})")


def _positive_int(key: str, v) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        _fail(key, "a positive integer", v)
    return v


def check_trained_with(trained_with, key: str = "trainedWith") -> dict:
    """``{"engine": str, "backend"?: str, "worldSize"?: int}``: what trained the weights."""
    if not isinstance(trained_with, dict):
        _fail(key, "an object {engine, backend?, worldSize?}", trained_with)
    _exact_keys(f"{key}.", trained_with, ("engine",), ("backend", "worldSize"))
    for k in ("engine", "backend"):
        if k in trained_with and (not isinstance(trained_with[k], str) or trained_with[k] == ""):
            _fail(f"{key}.{k}", "a non-empty string", trained_with[k])
    if "worldSize" in trained_with:
        _positive_int(f"{key}.worldSize", trained_with["worldSize"])
    return trained_with


def parse_config(config: dict) -> dict:
    """Checks a ``config.json`` as ``parseCheckpointConfig`` does (the same keys and values)."""
    if not isinstance(config, dict):
        _fail("config", "a JSON object", config)
    _exact_keys("", config, CONFIG_KEYS, ("trainedWith",))
    if config["format"] != FORMAT:
        _fail("format", f'"{FORMAT}"', config["format"])
    if config["cell"] not in CELLS:
        _fail("cell", "one of " + ", ".join(CELLS), config["cell"])
    if config["nonlinearity"] not in ("tanh", "relu") or (config["nonlinearity"] == "relu" and config["cell"] != "rnn"):
        _fail("nonlinearity", '"tanh" (or "relu" for cell "rnn")', config["nonlinearity"])
    if config["input"] == "embedding":
        _positive_int("embeddingDim", config["embeddingDim"])
    elif config["input"] == "one-hot":
        if config["embeddingDim"] is not None:
            _fail("embeddingDim", 'null when input is "one-hot"', config["embeddingDim"])
    else:
        _fail("input", '"one-hot" or "embedding"', config["input"])
    _positive_int("hiddenSize", config["hiddenSize"])
    _positive_int("numLayers", config["numLayers"])
    if config["bidirectional"] is not False:
        _fail("bidirectional", "false", config["bidirectional"])
    dropout = config["dropout"]
    if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0 <= dropout < 1:
        _fail("dropout", "a number in [0, 1)", dropout)
    tok = config["tokenizer"]
    if not isinstance(tok, dict):
        _fail("tokenizer", "an object {level, preprocess}", tok)
    _exact_keys("tokenizer.", tok, ("level", "preprocess"))
    if tok["level"] not in LEVELS:
        _fail("tokenizer.level", '"char" or "word" (jieba is not implemented here)', tok["level"])
    if tok["preprocess"] not in PREPROCESS:
        _fail("tokenizer.preprocess", '"d2l" or "none"', tok["preprocess"])
    vocab = config["vocab"]
    if not isinstance(vocab, dict):
        _fail("vocab", "an object {tokens, unk}", vocab)
    _exact_keys("vocab.", vocab, ("tokens", "unk"))
    tokens = vocab["tokens"]
    if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) for t in tokens):
        _fail("vocab.tokens", "a non-empty array of strings", tokens)
    if len(set(tokens)) != len(tokens):
        _fail("vocab.tokens", "unique", [t for t in tokens if tokens.count(t) > 1][0])
    if vocab["unk"] is not None and vocab["unk"] not in tokens:
        _fail("vocab.unk", "null or one of vocab.tokens", vocab["unk"])
    if "trainedWith" in config:
        check_trained_with(config["trainedWith"])
    return config


def tensor_shapes(config: dict) -> dict[str, list[int]]:
    """The tensors a config implies, name to shape (the format's table)."""
    v, h = len(config["vocab"]["tokens"]), config["hiddenSize"]
    g = {"lstm": 4, "gru": 3, "rnn": 1}[config["cell"]]
    e = config["embeddingDim"]
    shapes = {"embedding.weight": [v, e]} if e is not None else {}
    for k in range(config["numLayers"]):
        i = h if k > 0 else (e if e is not None else v)
        shapes.update({f"rnn.weight_ih_l{k}": [g * h, i], f"rnn.weight_hh_l{k}": [g * h, h], f"rnn.bias_ih_l{k}": [g * h], f"rnn.bias_hh_l{k}": [g * h]})
    shapes.update({"linear.weight": [v, h], "linear.bias": [v]})
    return shapes


def _siblings(out_dir: str) -> tuple[str, str]:
    """The names the atomic swap uses, the same as ``@recurrent/layers``: ``<dir>.old`` and ``<dir>.tmp-…``."""
    target = os.path.abspath(out_dir)
    return f"{target}.old", f"{target}.tmp-"


def recover_checkpoint_dir(out_dir: str) -> None:
    """Finishes or undoes a swap a crash interrupted (as ``recoverCheckpointDir``)."""
    target = os.path.abspath(out_dir)
    old, _ = _siblings(out_dir)
    if not os.path.exists(old):
        return
    if os.path.exists(target):
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(old, target)


def write_checkpoint_files(out_dir: str, write) -> None:
    """Builds a fresh directory beside ``out_dir`` with ``write(tmp_dir)``, flushes it, then swaps it
    in with two renames: a crash leaves either the old or the new checkpoint whole. The new
    directory holds exactly what ``write`` wrote (no stale optimizer or trainer state)."""
    recover_checkpoint_dir(out_dir)
    target = os.path.abspath(out_dir)
    old, tmp_prefix = _siblings(out_dir)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    tmp = f"{tmp_prefix}{os.getpid()}-{time.time_ns()}"
    os.makedirs(tmp)
    try:
        write(tmp)
        if os.path.exists(target):
            os.rename(target, old)
            os.rename(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        recover_checkpoint_dir(out_dir)
        raise


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def save_checkpoint(model: RNNModel, vocab_tokens, tokenizer: dict, out_dir: str, **metadata) -> dict:
    """Writes ``out_dir`` as a ``recurrent-lm/1`` checkpoint (``config.json`` + ``model.safetensors``),
    atomically, and returns the config.

    ``vocab_tokens``: a ``Vocab``, or the list of tokens (then ``unk`` is ``"<unk>"`` when it is
    one of them, else None). ``tokenizer``: ``{"level": "char"|"word", "preprocess": "d2l"|"none"}``.
    ``metadata``: the optional config keys, today only ``trainedWith={"engine": …, "backend": …,
    "worldSize": …}``; anything else is refused, so no checkpoint is written that Recurrent
    cannot load.
    """
    if isinstance(model, nn.parallel.DistributedDataParallel):
        model = model.module
    vocab = vocab_tokens if isinstance(vocab_tokens, Vocab) else Vocab(tuple(vocab_tokens), UNK if UNK in vocab_tokens else None)
    if len(vocab) != model.vocab_size:
        raise CheckpointError(f"save_checkpoint: the vocabulary has {len(vocab)} tokens but the model's vocab_size is {model.vocab_size}")
    for key in metadata:
        if key != "trainedWith":
            raise CheckpointError(f"save_checkpoint: unknown metadata key '{key}' (recurrent-lm/1 allows: trainedWith)")
    config = {
        "format": FORMAT,
        **model.config(),
        "tokenizer": {"level": tokenizer["level"], "preprocess": tokenizer["preprocess"]},
        "vocab": {"tokens": list(vocab.tokens), "unk": vocab.unk},
        **metadata,
    }
    parse_config(config)
    state = model.state_dict()
    if sorted(state) != sorted(tensor_shapes(config)):
        raise CheckpointError(f"save_checkpoint: the model's tensors {sorted(state)} are not the format's {sorted(tensor_shapes(config))}")

    def write(tmp: str) -> None:
        write_safetensors(os.path.join(tmp, MODEL_FILE), state)
        _write_text(os.path.join(tmp, CONFIG_FILE), json.dumps(config, indent=2, ensure_ascii=False) + "\n")

    write_checkpoint_files(out_dir, write)
    return config


def load_checkpoint(ckpt_dir: str, map_location: str | torch.device = "cpu") -> tuple[RNNModel, Vocab, dict]:
    """Reads a ``recurrent-lm/1`` directory (written by Recurrent or by ``save_checkpoint``): the
    model in eval mode with the weights loaded strictly, its vocabulary and the checked config."""
    recover_checkpoint_dir(ckpt_dir)
    try:
        with open(os.path.join(ckpt_dir, CONFIG_FILE), encoding="utf-8") as f:
            config = parse_config(json.load(f))
    except FileNotFoundError as e:
        raise CheckpointError(f"load_checkpoint: {e.filename} does not exist") from e
    weights = read_safetensors(os.path.join(ckpt_dir, MODEL_FILE))
    want = tensor_shapes(config)
    for name, shape in want.items():
        if name not in weights:
            raise CheckpointError(f"load_checkpoint: tensor '{name}' of shape {shape} is missing from the weights")
        if list(weights[name].shape) != shape:
            raise CheckpointError(f"load_checkpoint: tensor '{name}' has shape {list(weights[name].shape)} but the config needs {shape}")
    for name in weights:
        if name not in want:
            raise CheckpointError(f"load_checkpoint: unexpected tensor '{name}' in the weights")
    model = RNNModel(
        config["cell"],
        len(config["vocab"]["tokens"]),
        config["hiddenSize"],
        config["numLayers"],
        config["embeddingDim"],
        float(config["dropout"]),
        config["nonlinearity"],
    )
    model.load_state_dict(weights, strict=True)
    model.to(map_location).eval()
    vocab = Vocab(tuple(config["vocab"]["tokens"]), config["vocab"]["unk"])
    return model, vocab, config


# --- the reference computations (expected.json) -----------------------------------------------


@torch.no_grad()
def greedy(model: RNNModel, vocab: Vocab, level: str, prefix: str, num_tokens: int) -> dict:
    """The format's greedy generation: the prefix split as is (not preprocessed; tokens missing
    from the vocabulary map to unk), warm-up one token at a time from a zero state, then
    ``num_tokens`` steps taking the largest logit. Returns ``{prefix, numTokens, text, minMargin}``
    and, for ``firstStep``, the logits of the first generation step."""
    tokens = list(prefix) if level == "char" else prefix.split()
    if not tokens:
        raise ValueError(f"greedy: 'prefix' must have at least one token, got {prefix!r}")
    if num_tokens < 1:
        raise ValueError(f"greedy: 'num_tokens' must be a positive integer, got {num_tokens!r}")
    device = next(model.parameters()).device
    ids = vocab.encode(tokens)
    state = None
    for i in ids[:-1]:
        _, state = model(torch.tensor([[i]], device=device), state)
    x = ids[-1]
    out: list[int] = []
    margins: list[float] = []
    first_step: list[float] = []
    for step in range(num_tokens):
        logits, state = model(torch.tensor([[x]], device=device), state)
        row = logits[0, -1].float().cpu()  # [V]
        if step == 0:
            first_step = row.tolist()
        if row.numel() > 1:
            top = torch.topk(row, 2).values.double()
            margins.append(float(top[0] - top[1]))
        x = int(torch.argmax(row))
        out.append(x)
    text = separator(level).join(tokens + vocab.decode(out))
    min_margin = min(margins) if margins else None  # None: a one-token vocabulary has no runner-up
    return {"prefix": prefix, "numTokens": num_tokens, "text": text, "minMargin": min_margin, "firstStep": first_step}


@torch.no_grad()
def perplexity(model: RNNModel, ids: Sequence[int], batch_size: int, num_steps: int) -> dict:
    """The format's eval: sequential windows from offset 0, the state carried from window to
    window, exp of the mean cross-entropy over every target (summed in double precision)."""
    n = len(ids)
    m = (n - 1) // batch_size * batch_size
    s = m // batch_size
    k = s // num_steps
    if k < 1:
        raise ValueError(f"perplexity: the corpus needs at least {batch_size * num_steps + 1} tokens for batch {batch_size} x steps {num_steps}, got {n}")
    device = next(model.parameters()).device
    data = torch.tensor(ids, dtype=torch.long)
    xs = data[:m].reshape(batch_size, s).to(device)  # [B, S]
    ys = data[1 : m + 1].reshape(batch_size, s).to(device)  # [B, S]
    state = None
    total = torch.zeros((), dtype=torch.float64)
    for w in range(k):
        cols = slice(w * num_steps, (w + 1) * num_steps)
        logits, state = model(xs[:, cols], state)  # [B, T, V]
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ys[:, cols].reshape(-1), reduction="none")
        total += ce.double().sum().cpu()
    count = batch_size * k * num_steps
    return {"batchSize": batch_size, "numSteps": num_steps, "sampler": EVAL_SAMPLER, "perplexity": math.exp(total.item() / count), "targets": count}


def float32_shortest(v: float) -> float:
    """The shortest decimal that reads back as the same float32 (as the format's logits)."""
    import numpy as np

    return float(repr(np.float32(v)).removeprefix("np.float32(").removesuffix(")"))


def reference_results(model: RNNModel, vocab: Vocab, config: dict, corpus_ids: Sequence[int] | None, corpus_name: str,
                      prefixes: Sequence[str], num_tokens: int, batch_size: int, num_steps: int) -> dict:
    """``expected.json`` for a checkpoint: greedy text for each prefix, the first-step logits of the
    first prefix and, given a corpus, its perplexity."""
    level = config["tokenizer"]["level"]
    runs = [greedy(model, vocab, level, p, num_tokens) for p in prefixes]
    expected: dict = {
        "greedy": [{k: r[k] for k in ("prefix", "numTokens", "text", "minMargin")} for r in runs],
        "logits": {"prefix": prefixes[0], "firstStep": [float32_shortest(v) for v in runs[0]["firstStep"]]},
    }
    if corpus_ids is not None:
        ev = perplexity(model, corpus_ids, batch_size, num_steps)
        expected["eval"] = {"corpus": corpus_name, **{k: ev[k] for k in ("batchSize", "numSteps", "sampler", "perplexity")}}
    return expected


def write_expected(ckpt_dir: str, expected: dict) -> None:
    """Writes ``expected.json`` into a checkpoint directory (its own atomic rename)."""
    path = os.path.join(ckpt_dir, EXPECTED_FILE)
    tmp = f"{path}.tmp-{os.getpid()}"
    _write_text(tmp, json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


# --- command line -----------------------------------------------------------------------------


def _corpus_command(a) -> None:
    tokens = tokenize(read_text(a.file), a.level, a.preprocess)
    if not tokens:
        raise ValueError(f"corpus: 'FILE' must be a text with {a.level} tokens after '{a.preprocess}' preprocessing, got {a.file} (0 tokens)")
    vocab = build_vocab(tokens)
    report: dict = {"tokens": len(tokens), "vocabSize": len(vocab), "top": [[t, n] for t, n in token_counts(tokens)[:10]]}
    if a.vocab:
        report["vocab"] = list(vocab.tokens)
    print(json.dumps(report, ensure_ascii=False, separators=(",", ":")))


def _generate_command(a) -> None:
    model, vocab, config = load_checkpoint(a.checkpoint)
    r = greedy(model, vocab, config["tokenizer"]["level"], a.prefix, a.tokens)
    print(json.dumps({k: r[k] for k in ("text", "minMargin")}, ensure_ascii=False) if a.json else r["text"])


def _eval_command(a) -> None:
    model, vocab, config = load_checkpoint(a.checkpoint)
    tok = config["tokenizer"]
    ev = perplexity(model, vocab.encode(tokenize(read_text(a.corpus), tok["level"], tok["preprocess"])), a.batch, a.steps)
    if a.json:
        print(json.dumps(ev))
    else:
        print(f"perplexity {ev['perplexity']:.4f} ({ev['targets']} targets, cross-entropy {math.log(ev['perplexity']):.5f})")


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}")
    return n


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="recurrent_torch.py", description="The PyTorch side of `pnpm recurrent corpus|generate|eval`.")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("corpus", help="token count, vocabulary size and top tokens as JSON")
    c.add_argument("file", metavar="FILE")
    c.add_argument("--level", choices=LEVELS, default="char")
    c.add_argument("--preprocess", choices=PREPROCESS, default="none")
    c.add_argument("--vocab", action="store_true", help="also print the whole vocabulary, id order")
    c.set_defaults(run=_corpus_command)
    g = sub.add_parser("generate", help="greedy continuation of a prefix")
    g.add_argument("--checkpoint", required=True)
    g.add_argument("--prefix", required=True)
    g.add_argument("--tokens", type=positive_int, default=50)
    g.add_argument("--json", action="store_true", help="print {text, minMargin} as JSON")
    g.set_defaults(run=_generate_command)
    e = sub.add_parser("eval", help="perplexity on a corpus (sequential from offset 0, state carried)")
    e.add_argument("--checkpoint", required=True)
    e.add_argument("--corpus", required=True)
    e.add_argument("--batch", type=positive_int, default=32)
    e.add_argument("--steps", type=positive_int, default=35)
    e.add_argument("--json", action="store_true", help="print {perplexity, targets, ...} as JSON")
    e.set_defaults(run=_eval_command)
    a = parser.parse_args(argv)
    try:
        a.run(a)
    except (CheckpointError, ValueError, KeyError, OSError) as err:
        print(f"recurrent_torch.py: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
