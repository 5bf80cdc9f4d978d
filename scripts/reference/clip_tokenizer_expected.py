"""Expected CLIP token ids for test/sd/clipTokenizer.test.ts, from the upstream tools.

What AUTOMATIC1111 and ComfyUI run is transformers' (slow) CLIPTokenizer with ftfy installed:
special tokens split out, then per piece whitespace_clean(ftfy.fix_text(text)).lower(), the CLIP
regex (the `regex` module), byte-level BPE. transformers 5 dropped that slow class, so this script
does its few Python steps itself with the real ftfy and regex packages, and has the BPE done by
transformers 5's CLIPTokenizer (the Rust `tokenizers` BPE, an implementation independent of ours)
one pre-token at a time.

Made with: ftfy 6.3.1, regex 2026.9.29, transformers 5.17.0, tokenizers 0.22, Python 3.11.
Run:  python scripts/reference/clip_tokenizer_expected.py PATH/TO/bpe_simple_vocab_16e6.txt.gz \
          > test/sd/data/clipTokenizerExpected.json
The output is committed; the tests do not need Python.
"""
import gzip
import json
import sys

import ftfy
import regex
import transformers
from transformers import CLIPTokenizer

CASES = [
    # HTML (ftfy unescapes HTML5 named references that end in ';', and numeric ones, until nothing changes)
    "&eacute;t&eacute;", "caf&eacute;", "wait&hellip;", "a&mdash;b", "brand&trade;", "&frac12; size", "it&rsquo;s",
    "a&zwj;b", "soft&shy;hyphen", "&#128;", "&#0;", "&#99999999;", "&amp;amp;amp;", "&amp;", "&lt;3", "&#x41;&#66;",
    "&#59;", "&#1;x", "&#65x;", "&nbsp;tag", "P&EACUTE;REZ", "&NTILDE;", "&AMP;", "&notit; &not it", "&ampx;",
    "<b>&amp;</b>", "x &lt; y &amp; z", "line &amp;\nnext < &amp;", "first &amp;\n<second> &amp;",
    # width forms, ligatures, digraphs, quotes
    "ｱﾂｲ", "ﾊﾟﾝﾂ", "｡｢｣､", "￥100 ￠", "ＬＯＵＤ　ＮＯＩＳＥＳ", "ｈｅｌｌｏ", "ǅ ǆ Ǆ", "ǈ ǋ ǲ", "ĳ Ĳ", "ŉ", "ﬅ ﬆ ﬁ ﬂ ﬃ ﬄ ﬀ",
    "the ʼs", "‘quoted’ “double” „low‟", "it’s", "don’t",
    # control characters, C1, BOM, terminal escapes, line breaks
    "\x85", "\x80", "caf\xe9\x85", "\x81", "a\x9db", "\x93hi\x94", "\xe2\x80\x99", "a\ufeffb", "\ufeffstart", "x\x1b[31mred\x1b[0m",
    "\x1b[1;32mbold", "a\x00b\x07c", "tab\there", "a\u2028b\u2029c", "cr\rlf\r\nend", "del\x7fete", "\u206aarabic", "obj\ufffcx",
    "\x1ca\x1f", "a\x0bb\x0cc", "\u200bzero width", "nb\u00a0sp", "thin\u2009space",
    # unicode that must pass through
    "1girl, solo, long hair", "(masterpiece:1.2), best quality", "café naïve", "日本語のテキスト", "Ελληνικά ΣΑΣ", "Ünïcödé",
    "e\u0301", "ﬁne", "emoji 😀🎉", "İstanbul", "Straße", "ǰ", "µ", "Å", "x²", "①②", "½", "\U0001d400", "a\udcffb".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    "<|endoftext|>", "a<|startoftext|>&amp;", "&lt;|endoftext|&gt;", "TAG_name", "Hello,   WORLD!!", "don't i'll we've",
    "\U0001F1EF\U0001F1F5", "a,b,,c", "  spaced  ", "",
]


def bpe_files(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        merges = f.read().split("\n")[1 : 49152 - 256 - 2 + 1]
    merges = [tuple(m.split()) for m in merges]
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    alphabet = [chr(c) for c in cs]
    vocab = alphabet + [a + "</w>" for a in alphabet] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    return {t: i for i, t in enumerate(vocab)}, merges


def whitespace_clean(text):
    return regex.sub(r"\s+", " ", text).strip()


PATTERN = regex.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", regex.IGNORECASE)
SPECIAL = regex.compile(r"(<\|startoftext\|>|<\|endoftext\|>)")


def main():
    vocab, merges = bpe_files(sys.argv[1])
    bpe = CLIPTokenizer(vocab=vocab, merges=merges)
    out = []
    for text in CASES:
        ids = []
        cleaned = []
        for piece in SPECIAL.split(text):
            if piece in ("<|startoftext|>", "<|endoftext|>"):
                ids.append(vocab[piece])
                cleaned.append(piece)
                continue
            if piece == "":
                continue
            fixed = whitespace_clean(ftfy.fix_text(piece)).lower()
            cleaned.append(fixed)
            for token in PATTERN.findall(fixed):
                ids.extend(bpe(token, add_special_tokens=False)["input_ids"])
        out.append({"text": text, "fixText": ftfy.fix_text(text), "ids": ids})
    json.dump({
        "madeBy": "scripts/reference/clip_tokenizer_expected.py",
        "versions": {"ftfy": ftfy.__version__, "regex": regex.__version__, "transformers": transformers.__version__, "python": sys.version.split()[0]},
        "cases": out,
    }, sys.stdout, ensure_ascii=True, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
