"""Trains a Recurrent language model with PyTorch's DistributedDataParallel; launch with torchrun.

    torchrun --standalone --nproc_per_node 2 --redirects 1 --tee 1 examples/pytorch/train_ddp.py \\
        --corpus FILE --level char --preprocess d2l --cell lstm --hidden 256 --batch 32 --steps 35 \\
        --optimizer sgd --lr 1 --clip 1 --epochs 30 --seed 0 --out DIR

The flags are those of ``pnpm recurrent train``; ``--batch`` is the global batch, split evenly
over the processes (each rank trains its own rows of every batch, so N processes take the same
steps as one process with the whole batch). Rank 0 writes a ``recurrent-lm/1`` checkpoint after
every epoch (``config.json`` records ``trainedWith``) and, at the end, ``expected.json``: the
greedy text and perplexity an independent PyTorch run of the saved files gives, to compare with
``pnpm recurrent generate`` and ``pnpm recurrent eval``. ``--init DIR`` starts from a checkpoint
(for instance one that Recurrent trained) and fine-tunes it.

``--redirects 1 --tee 1``: Debian's PyTorch 1.13 under Python 3.11 fails in torchrun's default
log redirection (``AttributeError: 'NoneType' object has no attribute 'get'`` in ``to_map``).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recurrent_torch import (  # noqa: E402
    CheckpointError,
    RNNModel,
    build_vocab,
    detach_state,
    load_checkpoint,
    positive_int,
    read_text,
    reference_results,
    save_checkpoint,
    separator,
    tokenize,
    write_expected,
)


class UsageError(ValueError):
    """A flag or input the run cannot use; printed as one line by rank 0."""


def non_negative(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        x = -1.0
    if not x >= 0 or math.isinf(x):
        raise argparse.ArgumentTypeError(f"must be a non-negative number, got {value!r}")
    return x


def positive(value: str) -> float:
    x = non_negative(value)
    if x == 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {value!r}")
    return x


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="train_ddp.py", description="Train a Recurrent language model with DistributedDataParallel (launch with torchrun).")
    p.add_argument("--corpus", required=True, help="a UTF-8 text file")
    # Model and tokenizer flags default to None so that --init can tell a given flag from a default.
    p.add_argument("--level", choices=("char", "word"), help="tokens (default char)")
    p.add_argument("--preprocess", choices=("d2l", "none"), help="d2l: letters only, lower-case, per line; none: as is (default none)")
    p.add_argument("--cell", choices=("lstm", "gru", "rnn"), help="recurrent cell (default lstm)")
    p.add_argument("--hidden", type=positive_int, help="hidden size (default 256)")
    p.add_argument("--layers", type=positive_int, help="stacked layers (default 1)")
    p.add_argument("--embedding", type=positive_int, help="embedding size (default: one-hot input)")
    p.add_argument("--dropout", type=non_negative, help="dropout between layers (default 0)")
    p.add_argument("--batch", type=positive_int, default=32, help="global batch size, split over the processes")
    p.add_argument("--steps", type=positive_int, default=35, help="time steps per batch (truncated BPTT length)")
    p.add_argument("--sampler", choices=("sequential", "random"), default="sequential", help="minibatch sampling (d2l)")
    p.add_argument("--optimizer", choices=("sgd", "adam", "adamw", "rmsprop"), default="sgd")
    p.add_argument("--lr", type=positive, default=1.0, help="learning rate")
    p.add_argument("--clip", type=non_negative, default=1.0, help="clip the global gradient norm (0: off)")
    p.add_argument("--epochs", type=positive_int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="write the checkpoint here after every epoch (rank 0)")
    p.add_argument("--init", help="start from this recurrent-lm/1 checkpoint (fine-tuning)")
    p.add_argument("--backend", choices=("auto", "gloo", "nccl"), default="auto", help="auto: nccl on GPUs, else gloo on CPUs")
    p.add_argument("--prefix", action="append", help="expected.json: prefix of a greedy generation (repeatable; default: the corpus's first 10 tokens)")
    p.add_argument("--tokens", type=positive_int, default=50, help="expected.json: tokens each greedy generation adds")
    p.add_argument("--no-reference", dest="reference", action="store_false", help="do not write expected.json")
    return p.parse_args(argv)


def resolve_model(a: argparse.Namespace, rank_device: torch.device):
    """The model, vocabulary, tokenizer config and token ids: from --init or built from the flags."""
    text = read_text(a.corpus)
    if a.init:
        model, vocab, config = load_checkpoint(a.init)
        given = {"level": a.level, "preprocess": a.preprocess, "cell": a.cell, "hidden": a.hidden, "layers": a.layers, "embedding": a.embedding, "dropout": a.dropout}
        have = {
            "level": config["tokenizer"]["level"],
            "preprocess": config["tokenizer"]["preprocess"],
            "cell": config["cell"],
            "hidden": config["hiddenSize"],
            "layers": config["numLayers"],
            "embedding": config["embeddingDim"],
            "dropout": config["dropout"],
        }
        for flag, value in given.items():
            if value is not None and value != have[flag]:
                raise UsageError(f"train_ddp: '--{flag}' is {value!r} but the --init checkpoint has {have[flag]!r} (leave the flag out)")
        tokenizer = dict(config["tokenizer"])
        model.train()
    else:
        tokenizer = {"level": a.level or "char", "preprocess": a.preprocess or "none"}
        vocab = build_vocab(tokenize(text, **tokenizer))
        model = RNNModel(a.cell or "lstm", len(vocab), a.hidden or 256, a.layers or 1, a.embedding, a.dropout or 0.0)
    tokens = tokenize(text, **tokenizer)
    if not tokens:
        raise UsageError(f"train_ddp: '--corpus' must have {tokenizer['level']} tokens after '{tokenizer['preprocess']}' preprocessing, got {a.corpus} (0 tokens)")
    return model.to(rank_device), vocab, tokenizer, vocab.encode(tokens)


def make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    """PyTorch's optimizers with their defaults, as the CLI's (Recurrent's follow PyTorch's rules)."""
    return {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "rmsprop": torch.optim.RMSprop}[name](params, lr=lr)


def epoch_batches(ids: torch.Tensor, a: argparse.Namespace, rng: random.Random, rows: slice):
    """One epoch of d2l's batches, every rank drawing the same offsets and order (the same seed),
    each keeping its own rows. Sequential (``seq_data_iter_sequential``): a random offset in
    0 … steps, the rest cut into ``batch`` rows of S tokens, batch k = columns k·T … k·T+T−1; row b
    of batch k+1 continues row b of batch k. Random (``seq_data_iter_random``): windows of T tokens
    from an offset in 0 … T−1, shuffled, ``batch`` at a time."""
    B, T, n = a.batch, a.steps, len(ids)
    if a.sampler == "sequential":
        offset = rng.randint(0, T)
        m = (n - offset - 1) // B * B
        s = m // B
        xs = ids[offset : offset + m].reshape(B, s)[rows]  # [B/N, S]
        ys = ids[offset + 1 : offset + 1 + m].reshape(B, s)[rows]  # [B/N, S]
        for k in range(s // T):
            yield xs[:, k * T : (k + 1) * T], ys[:, k * T : (k + 1) * T]
    else:
        offset = rng.randint(0, T - 1)
        starts = [offset + i * T for i in range((n - offset - 1) // T)]
        rng.shuffle(starts)
        for k in range(len(starts) // B):
            mine = starts[k * B : (k + 1) * B][rows]
            yield torch.stack([ids[s : s + T] for s in mine]), torch.stack([ids[s + 1 : s + 1 + T] for s in mine])


def main() -> int:
    a = parse_args()
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    backend = a.backend
    if backend == "auto":
        backend = "nccl" if torch.cuda.is_available() and dist.is_nccl_available() else "gloo"
    device = torch.device("cuda", local_rank) if backend == "nccl" else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if "TORCHELASTIC_RUN_ID" in os.environ or "MASTER_ADDR" in os.environ:
        dist.init_process_group(backend, rank=rank, world_size=world)
    else:  # started without torchrun: one process, an in-memory rendezvous (no port)
        dist.init_process_group(backend, store=dist.HashStore(), rank=0, world_size=1)
    try:
        return train(a, rank, world, backend, device)
    except (UsageError, CheckpointError, ValueError, OSError) as err:
        if rank == 0:
            print(err, file=sys.stderr)
        return 1
    finally:
        dist.destroy_process_group()


def train(a: argparse.Namespace, rank: int, world: int, backend: str, device: torch.device) -> int:
    if a.batch % world != 0:
        raise UsageError(f"train_ddp: '--batch' must be a multiple of the {world} processes, got {a.batch}")
    torch.manual_seed(a.seed)  # the same initial weights on every rank (DDP also broadcasts rank 0's)
    model, vocab, tokenizer, token_ids = resolve_model(a, device)
    ids = torch.tensor(token_ids, dtype=torch.long)
    need = a.steps + 1 + a.batch * a.steps
    if len(ids) < need:
        raise UsageError(f"train_ddp: '--corpus' must have at least {need} tokens for batch {a.batch} x steps {a.steps}, got {len(ids)}")
    ddp = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = make_optimizer(a.optimizer, ddp.parameters(), a.lr)
    per_rank = a.batch // world
    rows = slice(rank * per_rank, (rank + 1) * per_rank)
    rng = random.Random(a.seed)  # offsets and shuffling: identical on every rank
    torch.manual_seed(a.seed + 1 + rank)  # dropout masks: each rank its own
    trained_with = {"engine": "torch.distributed", "backend": backend, "worldSize": world}
    if rank == 0:
        print(
            f"training {model.cell} hidden {model.rnn.hidden_size} x{model.rnn.num_layers} on {len(ids)} tokens (vocabulary {len(vocab)}), "
            f"{a.sampler} batches {a.batch}x{a.steps} over {world} processes ({backend}, {per_rank} rows each), {a.optimizer} lr {a.lr}"
            + (f", from {a.init}" if a.init else ""),
            flush=True,
        )
    for epoch in range(1, a.epochs + 1):
        ddp.train()
        start = time.perf_counter()
        totals = torch.zeros(2, dtype=torch.float64)  # [sum of cross-entropy, targets] on this rank
        state = None
        for x, y in epoch_batches(ids, a, rng, rows):
            x, y = x.to(device), y.to(device)  # [B/N, T]
            state = detach_state(state) if a.sampler == "sequential" else None
            logits, state = ddp(x, state)  # [B/N, T, V]
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # DDP averages the gradients over the ranks: the gradient of the global batch
            if a.clip > 0:
                torch.nn.utils.clip_grad_norm_(ddp.parameters(), a.clip)
            optimizer.step()
            totals += torch.tensor([loss.item() * y.numel(), y.numel()], dtype=torch.float64)
        dist.all_reduce(totals)  # the whole epoch over every rank
        elapsed = time.perf_counter() - start
        if rank == 0:
            mean = totals[0].item() / totals[1].item()
            print(f"epoch {epoch}/{a.epochs} perplexity {math.exp(mean):.3f} tokens/s {round(totals[1].item() / elapsed)} loss {mean:.4f} lr {a.lr:g}", flush=True)
            if a.out:
                save_checkpoint(model, vocab, tokenizer, a.out, trainedWith=trained_with)
    if rank == 0 and a.out and a.reference:
        # The reference side: the files just written, read back and run by plain PyTorch in
        # float32 on the CPU (whatever device trained them).
        saved, saved_vocab, config = load_checkpoint(a.out)
        prefixes = a.prefix or [separator(tokenizer["level"]).join(tokenize(read_text(a.corpus), **tokenizer)[:10])]
        corpus_name = f"{os.path.basename(a.corpus)} {tokenizer['preprocess']} {tokenizer['level']}"
        expected = reference_results(saved, saved_vocab, config, token_ids, corpus_name, prefixes, a.tokens, a.batch, a.steps)
        write_expected(a.out, expected)
        for g in expected["greedy"]:
            margin = "none" if g["minMargin"] is None else f"{g['minMargin']:.3g}"
            print(f"greedy {g['prefix']!r}: {g['text']!r} (smallest top-2 margin {margin})", flush=True)
        print(f"eval perplexity {expected['eval']['perplexity']:.6f} (batch {a.batch}, steps {a.steps}, from offset 0)", flush=True)
        print(f"wrote {a.out} (trainedWith {trained_with})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
