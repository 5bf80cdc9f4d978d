"""Expected chunk layouts for test/train/trainingPrompt.test.ts, computed by AUTOMATIC1111's own code.

Imports parse_prompt_attention (modules/prompt_parser.py) and
FrozenCLIPEmbedderWithCustomWordsBase.tokenize_line (modules/sd_hijack_clip.py) from a
stable-diffusion-webui checkout (v1.10) given on the command line, with small stand-ins for
torch and the webui settings (emphasis "Original", comma_padding_backtrack 20). The tokenizer
is the one clip_tokenizer_expected.py describes (ftfy 6.3.1 + regex + the tokenizers BPE), and the
embedding database holds one embedding, NAME with VECTORS vectors, as during training.

Run:  python scripts/reference/a1111_prompt_chunks.py WEBUI_DIR PATH/TO/bpe_simple_vocab_16e6.txt.gz \
          > test/train/data/a1111PromptChunks.json
The output is committed; the tests do not need Python. No webui code is copied into this repository.
"""
import json
import os
import sys
import types

sys.path.insert(0, os.path.dirname(__file__))
import clip_tokenizer_expected as reference  # noqa: E402  (its tokenizer steps)

webui = sys.argv[1]
sys.path.insert(0, webui)

torch = types.ModuleType("torch")
torch.nn = types.SimpleNamespace(Module=object)
sys.modules["torch"] = torch
import modules  # noqa: E402

for name in ("devices", "sd_hijack", "sd_emphasis"):
    stub = types.ModuleType(f"modules.{name}")
    sys.modules[f"modules.{name}"] = stub
    setattr(modules, name, stub)
shared = types.ModuleType("modules.shared")
shared.opts = types.SimpleNamespace(emphasis="Original", comma_padding_backtrack=20)
sys.modules["modules.shared"] = shared
modules.shared = shared

from modules import prompt_parser  # noqa: E402
from modules.sd_hijack_clip import FrozenCLIPEmbedderWithCustomWordsBase  # noqa: E402

vocab, merges = reference.bpe_files(sys.argv[2])
bpe = reference.CLIPTokenizer(vocab=vocab, merges=merges)


def tokenize_text(text):
    ids = []
    for piece in reference.SPECIAL.split(text):
        if piece in ("<|startoftext|>", "<|endoftext|>"):
            ids.append(vocab[piece])
        elif piece:
            for token in reference.PATTERN.findall(reference.whitespace_clean(reference.ftfy.fix_text(piece)).lower()):
                ids.extend(bpe(token, add_special_tokens=False)["input_ids"])
    return ids


class Embedding:
    def __init__(self, name, vectors):
        self.name = name
        self.vectors = vectors
        self.ids = tokenize_text(name)


class EmbeddingDb:
    def __init__(self, embedding):
        self.embedding = embedding

    def find_embedding_at_position(self, tokens, offset):
        ids = self.embedding.ids
        if tokens[offset:offset + len(ids)] == ids:
            return self.embedding, len(ids)
        return None, None


class Encoder(FrozenCLIPEmbedderWithCustomWordsBase):
    def __init__(self, embedding):
        super().__init__(None, types.SimpleNamespace(embedding_db=EmbeddingDb(embedding)))
        self.comma_token = vocab[",</w>"]
        self.id_start = vocab["<|startoftext|>"]
        self.id_end = vocab["<|endoftext|>"]

    def tokenize(self, texts):
        return [tokenize_text(t) for t in texts]


def tags(n, start=0):
    return ", ".join(f"tag{i}" for i in range(start, start + n))


CASES = [
    ("a photo of tiemb", "tiemb", 2),
    ("tiemb, " + tags(40), "tiemb", 1),
    (tags(30), "tiemb", 1),
    ("a BREAK b", "tiemb", 1),
    ("BREAK a", "tiemb", 1),
    ("a BREAK", "tiemb", 1),
    ("a BREAK BREAK b", "tiemb", 1),
    ("aBREAK b, xBREAKx, break BREAK_x", "tiemb", 1),
    ("(tiemb:1.3), BREAK, [red], (blue:0.8) BREAK sky", "tiemb", 3),
    (" ".join(["word"] * 80), "tiemb", 1),
    (" ".join(["word"] * 150), "tiemb", 1),
    (" ".join(["word"] * 74) + " tiemb", "tiemb", 3),
    (" ".join(["word"] * 73) + ", tiemb and more", "tiemb", 2),
    (" ".join(["w"] * 60) + ", " + " ".join(["x"] * 30), "tiemb", 1),
    (" ".join(["w"] * 50) + ", " + " ".join(["x"] * 30), "tiemb", 1),
    (", ".join(["long tag name"] * 30), "tiemb", 1),
    ("(" + tags(30) + ":1.2), " + tags(20, 30), "tiemb", 1),
    (" ".join(["word"] * 75), "tiemb", 1),
    (" ".join(["word"] * 75) + ", x", "tiemb", 1),
    ("", "tiemb", 1),
    # upstream's two quirks (see README "Differences from AUTOMATIC1111"): a bracketed BREAK becomes
    # the word "break" with weight -1.2; a comma backtrack moves an embedding's tokens but not its vectors
    ("(red BREAK blue:1.2)", "tiemb", 1),
    (" ".join(["w"] * 65) + ", tiemb " + " ".join(["x"] * 10), "tiemb", 3),
    ("masterpiece, best quality, tiemb, 1girl, solo, long hair, looking at viewer, smile, open mouth, bangs, blue eyes, "
     "skirt, shirt, long sleeves, hat, dress, bow, holding, closed mouth, standing, flower, short sleeves, outdoors, "
     "sky, day, cloud, water, tree, blue sky, petals, cherry blossoms, frills, ribbon, sitting, jewelry, very long hair", "tiemb", 4),
]


def main():
    out = []
    for prompt, name, vectors in CASES:
        parsed = prompt_parser.parse_prompt_attention(prompt)
        encoder = Encoder(Embedding(name, vectors))
        chunks, token_count = encoder.tokenize_line(prompt)
        out.append({
            "prompt": prompt,
            "name": name,
            "vectors": vectors,
            "parsed": parsed,
            "tokenCount": token_count,
            "chunks": [{"tokens": c.tokens, "multipliers": c.multipliers, "fixes": [f.offset for f in c.fixes]} for c in chunks],
        })
    json.dump({"madeBy": "scripts/reference/a1111_prompt_chunks.py", "webui": "stable-diffusion-webui v1.10 prompt_parser.py + sd_hijack_clip.py", "cases": out}, sys.stdout, indent=None)
    sys.stdout.write("\n")


main()
