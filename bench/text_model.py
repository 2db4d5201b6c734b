"""The text Transformer of cwrf (src/cwrf/models/text_transformer.cpp) in PyTorch, layer for layer.

An addition to bench/train_step.py's models (cnn, resnet18, vit), built from its ViT pieces as the
C++ model is built from vit.cpp's: token_embed (Embedding vocab -> dim) scaled by sqrt(dim), plus
fixed sinusoidal positions, dropout, pre-norm blocks whose attention ignores padding keys (token
id 0; position 0 always counts), final LayerNorm, mean over the non-padding positions, head.
Construction order (hence the random initialisation under one seed) follows the C++ constructor.

  from text_model import TextTransformer, ARCHITECTURES   # train_step's three + "transformer"
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import train_step


def sinusoidal_positions(length, dim):
    """[1, length, dim]: PE(pos, 2i) = sin(pos / 10000^(2i/dim)), PE(pos, 2i+1) = cos(same), in float64."""
    pos = torch.arange(length, dtype=torch.float64).unsqueeze(1)
    i2 = torch.arange(0, dim, 2, dtype=torch.float64)
    angle = pos * torch.exp(i2 * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)[:, : dim // 2]
    return pe.to(torch.float32).unsqueeze(0)


def masked_attention(attn, x, key_mask):
    """train_step.Attention.forward with vit.cpp's key mask: false keys get -inf logits."""
    b, n = x.shape[0], x.shape[1]
    qkv = attn.qkv(x).view(b, n, 3, attn.heads, attn.dim_head).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    scale = 1.0 / math.sqrt(attn.dim_head)
    logits = torch.matmul(q, k.transpose(-2, -1)) * scale
    if key_mask is not None:
        logits = logits.masked_fill(key_mask.logical_not().view(b, 1, 1, n), float("-inf"))
    weights = torch.softmax(logits, -1)
    if attn.dropout > 0:
        weights = F.dropout(weights, attn.dropout, attn.training)
    out = torch.matmul(weights, v).transpose(1, 2).reshape(b, n, attn.heads * attn.dim_head)
    out = attn.proj(out)
    if attn.dropout > 0:
        out = F.dropout(out, attn.dropout, attn.training)
    return out


class TextBlock(train_step.Block):
    """train_step.Block (norm1, attn, norm2, mlp; same parameters) with a padding mask."""

    def forward(self, x, key_mask=None):
        h = x + masked_attention(self.attn, self.norm1(x), key_mask)
        return h + self.mlp(self.norm2(h))


class TextTransformer(nn.Module):
    """spec: width (dim), depth, heads, mlp_dim, dropout, vocab_size, seq_len, num_classes."""

    def __init__(self, s):
        super().__init__()
        dim = s["width"]
        if dim % s["heads"] != 0:
            raise ValueError(f"model.width = {dim} must be divisible by model.heads = {s['heads']}")
        self.seq_len, self.dropout = s["seq_len"], s["dropout"]
        self.token_embed = nn.Embedding(s["vocab_size"], dim)
        self.register_buffer("positions", sinusoidal_positions(s["seq_len"], dim))
        self.blocks = nn.ModuleList(TextBlock(dim, s["heads"], s["mlp_dim"], s["dropout"]) for _ in range(s["depth"]))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, s["num_classes"])

    def forward(self, tokens):
        if tokens.dim() != 2 or tokens.shape[1] != self.seq_len or tokens.dtype != torch.long:
            raise ValueError(f"the transformer expects int64 token ids [batch, {self.seq_len}], got "
                             f"{tokens.dtype} {list(tokens.shape)}")
        valid = tokens.ne(0)
        valid[:, 0] = True  # position 0 always: no row is entirely masked
        scale = math.sqrt(self.positions.shape[2])
        h = self.token_embed(tokens) * scale + self.positions
        if self.dropout > 0:
            h = F.dropout(h, self.dropout, self.training)
        for block in self.blocks:
            h = block(h, valid)
        h = self.norm(h)
        weights = valid.to(h.dtype).unsqueeze(2)
        pooled = (h * weights).sum(1) / weights.sum(1)
        return self.head(pooled)


ARCHITECTURES = dict(train_step.ARCHITECTURES, transformer=TextTransformer)
