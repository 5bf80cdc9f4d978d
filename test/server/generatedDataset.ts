// Writes a small dataset of real PNG files (sharp) and caption files into a temporary folder.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { scratchFolder } from '../support/scratchFolder';

export interface DatasetImage {
  stem: string;
  /** Caption text, or undefined for an image without a caption file. */
  caption?: string;
  width?: number;
  height?: number;
}

export async function writeDataset(images: DatasetImage[], prefix = 'es-dataset-'): Promise<string> {
  const folder = scratchFolder(prefix);
  await Promise.all(
    images.map(async (image, i) => {
      await sharp({ create: { width: image.width ?? 512, height: image.height ?? 512, channels: 3, background: { r: (i * 37) % 256, g: 120, b: 200 } } })
        .png()
        .toFile(join(folder, `${image.stem}.png`));
      if (image.caption !== undefined) writeFileSync(join(folder, `${image.stem}.txt`), image.caption);
    }),
  );
  return folder;
}
