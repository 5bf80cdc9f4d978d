"""PNG embeddings made by AUTOMATIC1111's own code, for test/train/pngEmbedding.test.ts.

Imports embedding_to_b64 and insert_image_data_embed from modules/textual_inversion/
image_embedding.py of a stable-diffusion-webui checkout (given on the command line), with a
stand-in for torch (a tensor of float32 values is all it needs), and writes what A1111's
training writes into image_embeddings/: the preview with the data pixels on both sides and the
`sd-ti-embedding` text chunk (PIL PngInfo.add_text). Needs numpy and Pillow.

Run:  python scripts/reference/a1111_png_embeddings.py WEBUI_DIR test/train/data
writes a1111-embedding.png (text chunk + pixels), a1111-embedding-pixels.png (pixels only,
the text chunk left out) and a1111-embedding.json (the vectors, names and steps they hold).
No webui code is copied into this repository.
"""
import json
import os
import sys
import types

import numpy as np
from PIL import Image, PngImagePlugin

webui, out_dir = sys.argv[1], sys.argv[2]
sys.path.insert(0, webui)


class Tensor:
    def __init__(self, array):
        self.array = np.asarray(array, dtype=np.float32)

    def cpu(self):
        return self

    def detach(self):
        return self

    def numpy(self):
        return self.array


torch = types.ModuleType("torch")
torch.Tensor = Tensor
sys.modules["torch"] = torch
shared = types.ModuleType("modules.shared")
shared.opts = types.SimpleNamespace(font=None)
sys.modules["modules.shared"] = shared

from modules.textual_inversion.image_embedding import embedding_to_b64, insert_image_data_embed  # noqa: E402

rng = np.random.default_rng(17)
vectors = (rng.standard_normal((2, 768)) * 0.02).astype(np.float32)
vectors[0, 0] = -0.0
vectors[1, 5] = 1e-8
data = {
    "string_to_token": {"*": 265},
    "string_to_param": {"*": Tensor(vectors)},
    "name": "pngemb-40",
    "step": 39,
    "sd_checkpoint": "abcdef12",
    "sd_checkpoint_name": "tiny",
}
preview = Image.new("RGB", (64, 64), (200, 120, 40))
captioned = insert_image_data_embed(preview, data)
info = PngImagePlugin.PngInfo()
info.add_text("sd-ti-embedding", embedding_to_b64(data))
captioned.save(os.path.join(out_dir, "a1111-embedding.png"), "PNG", pnginfo=info)
captioned.save(os.path.join(out_dir, "a1111-embedding-pixels.png"), "PNG")
with open(os.path.join(out_dir, "a1111-embedding.json"), "w") as f:
    json.dump({"madeBy": "scripts/reference/a1111_png_embeddings.py", "name": data["name"], "step": data["step"],
               "shape": list(vectors.shape), "vectors": [float(v) for v in vectors.reshape(-1)],
               "b64": embedding_to_b64(data).decode()}, f)
