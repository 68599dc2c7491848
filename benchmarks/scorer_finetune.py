"""Encoder fine-tuning on CPU: the top layers of all-MiniLM-L6-v2 trained with the head, vs the frozen encoder.

    python benchmarks/scorer_finetune.py /work/shared/data [--only routerdc7|routerbench] [--layers 2]
        [--epochs 20] [--patience 4] [--encoder-lr 2e-5] [--seed 0]

Fine-tuning the whole encoder (`routemoa scorer train` without `--freeze-encoder`)
costs about 40 minutes an epoch of routerdc7 on a 2-core CPU. Here the lower
6 − K layers stay frozen: their token states are computed once, and each epoch runs
only the top K layers forward and backward (about 6 minutes an epoch for K = 2).
Everything else is the trainer's: input rule, validation split, task clusters,
losses, target smoothing and early stopping (`train.fit_head`, same seed). Per
dataset and variant it prints the best epoch, validation top-1 / top-3 (the
trainer's split: what a choice may use), test top-1 / top-3 of the head (before
shrinkage) and the seconds it took. "frozen" is the shipped frozen-encoder head
(K = 0), trained in the same run.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from sentence_transformers import SentenceTransformer
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).parent))
from scorer_common import datasets

from routemoa.scorer.data import label_matrix, pool_models
from routemoa.scorer.encoder import load_encoder
from routemoa.scorer.metrics import hit_rates
from routemoa.scorer.train import TrainConfig, clusters_of, fit_head, input_rule, seed_everything, split


def through_layers(layers, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Padded token states (batch, length, width) through BERT layers; `mask` is 1 for real tokens."""
    additive = (1.0 - mask[:, None, None, :].float()) * -1e9
    for layer in layers:
        out = layer(hidden, attention_mask=additive)
        hidden = out[0] if isinstance(out, tuple) else out
    return hidden


class LayerStack(torch.nn.Module):
    """The encoder's top layers over cached token states, mean-pooled and normalised like the encoder."""

    def __init__(self, layers):
        super().__init__()
        self.layers = torch.nn.ModuleList(copy.deepcopy(list(layers)))

    def forward(self, states: list[torch.Tensor]) -> torch.Tensor:
        length = max(len(s) for s in states)
        hidden = torch.zeros(len(states), length, states[0].shape[1])
        mask = torch.zeros(len(states), length)
        for row, s in enumerate(states):
            hidden[row, : len(s)], mask[row, : len(s)] = s, 1.0
        hidden = through_layers(self.layers, hidden, mask)
        pooled = (hidden * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
        return F.normalize(pooled, dim=-1)


class CachedStates:
    """The trainer's embedder interface (`base`, `model`, `__call__(idx, train)`) over cached token states.

    `base` holds the untuned encoder's vectors; `model` is the trainable stack (None: frozen, `base` is served).
    """

    def __init__(self, states: list[torch.Tensor], stack: LayerStack, trainable: bool):
        self.states, self.model = states, stack
        self.base = torch.as_tensor(self.embed_all())
        if not trainable:
            self.model = None

    def __call__(self, idx: np.ndarray, train: bool) -> torch.Tensor:
        if self.model is None:
            return self.base[idx]
        self.model.train(train)
        with torch.set_grad_enabled(train):
            return self.model([self.states[i] for i in idx])

    def embed_all(self, batch: int = 128) -> np.ndarray:
        with torch.no_grad():
            return torch.cat(
                [self(np.arange(s, min(s + batch, len(self.states))), False) for s in range(0, len(self.states), batch)]
            ).numpy()


def lower_states(encoder: SentenceTransformer, texts: list[str], frozen_layers: int) -> list[torch.Tensor]:
    """Each text's token states after the embeddings and the first `frozen_layers` layers (unpadded)."""
    bert = encoder[0].auto_model
    out: list[torch.Tensor] = [torch.empty(0)] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    with torch.no_grad():
        for start in range(0, len(order), 64):
            rows = order[start : start + 64]
            batch = encoder.tokenizer(
                [texts[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=encoder.max_seq_length,
                return_tensors="pt",
            )
            hidden = bert.embeddings(input_ids=batch["input_ids"], token_type_ids=batch.get("token_type_ids"))
            hidden = through_layers(bert.encoder.layer[:frozen_layers], hidden, batch["attention_mask"])
            for j, i in enumerate(rows):
                out[i] = hidden[j, : int(batch["attention_mask"][j].sum())].clone()
    return out


def head_test(net, embedder: CachedStates, labels: np.ndarray) -> dict:
    net.eval()
    with torch.no_grad():
        scores = torch.sigmoid(net(torch.as_tensor(embedder.embed_all()))).numpy()
    return hit_rates(scores, labels)


def run(name: str, train, test, layers: list[int], config: TrainConfig) -> list[str]:
    encoder = load_encoder(None, "cpu")  # the packaged all-MiniLM-L6-v2
    depth = len(encoder[0].auto_model.encoder.layer)
    models = pool_models(train)
    labels, test_labels = label_matrix(train, models), label_matrix(test, models)
    rule = input_rule(config, [r.query for r in train])
    texts = [rule.apply([r.query for r in rs], encoder.tokenizer, encoder.max_seq_length) for rs in (train, test)]
    train_idx, val_idx = split(len(train), config.val_fraction, config.seed)
    rows = []
    for k in [0, *layers]:
        started = time.perf_counter()
        states = [lower_states(encoder, t, depth - k) for t in texts]
        stack = LayerStack(
            encoder[0].auto_model.encoder.layer[depth - k :]
        )  # shared: the test queries go through the layers as trained
        embedders = [CachedStates(s, stack, trainable=k > 0) for s in states]
        clusters = clusters_of(train, embedders[0].base.numpy(), config.seed)
        seed_everything(config.seed)
        net, epoch, val = fit_head(
            replace(config, freeze_encoder=k == 0),
            embedders[0],
            labels,
            clusters,
            train_idx,
            val_idx,
            "cpu",
            desc=f"{name} top {k}",
            progress=True,
        )
        result = head_test(net, embedders[1], test_labels)
        label = "frozen" if k == 0 else f"top {k} layers tuned"
        row = (
            f"| {name} | {label} | {epoch} | {val['top1_hit']:.3f} · {val['top3_hit']:.3f} | "
            f"{result['top1_hit']:.3f} · {result['top3_hit']:.3f} | {time.perf_counter() - started:.0f} |"
        )
        print(row, flush=True)
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the shared data folder (routerdc7/, routerbench/)")
    parser.add_argument("--only", choices=["routerdc7", "routerbench"])
    parser.add_argument("--layers", default="2", help="comma-separated numbers of top layers to tune")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--patience", type=int, default=4)
    parser.add_argument("--encoder-lr", type=float, default=2e-5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print("command: python benchmarks/scorer_finetune.py " + " ".join(sys.argv[1:]), flush=True)
    torch.set_num_threads(2)
    config = TrainConfig(seed=args.seed, epochs=args.epochs, patience=args.patience, encoder_lr=args.encoder_lr)
    layers = [int(k) for k in args.layers.split(",")]
    rows = []
    for name, (train, test) in datasets(Path(args.data), args.only).items():
        rows += run(name, train, test, layers, config)
    print("\n| data | encoder | best epoch | validation top-1 · top-3 | test top-1 · top-3 (head) | seconds |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
