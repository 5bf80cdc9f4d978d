// "Split oversized images": a long strip (a full-body portrait, a wide panorama) loses most of
// itself to a single square crop, so it is scaled to cover the target and cut into overlapping
// tiles along its long side instead, the first flush with one end and the last with the other.
import type { CropRectangle } from './focalPoint';

export interface SplitOptions {
  /** Split when a single crop would keep at most this fraction of the long side (A1111: 0.5). */
  threshold: number;
  /** Minimum overlap between neighbouring tiles, as a fraction of the tile (A1111: 0.2). */
  overlapRatio: number;
}

export const defaultSplitOptions: SplitOptions = { threshold: 0.5, overlapRatio: 0.2 };

/** Fraction of the image's long side a single crop to the target aspect keeps (1 = nothing lost). */
export function keptFraction(width: number, height: number, targetWidth: number, targetHeight: number): number {
  const ratio = (width / height) / (targetWidth / targetHeight);
  return ratio > 1 ? 1 / ratio : ratio;
}

export function isOversized(width: number, height: number, targetWidth: number, targetHeight: number, options: SplitOptions): boolean {
  return keptFraction(width, height, targetWidth, targetHeight) <= options.threshold;
}

/** Start offsets of tiles of size `tile` covering `length`, evenly spread, overlapping by at least `overlapRatio`. */
export function tileOffsets(length: number, tile: number, overlapRatio: number): number[] {
  if (length <= tile) return [0];
  const step = tile * (1 - Math.min(0.95, Math.max(0, overlapRatio)));
  const count = Math.ceil((length - tile) / step) + 1;
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) offsets.push(Math.round((i * (length - tile)) / (count - 1)));
  return offsets;
}

export interface TilePlan {
  /** Size the whole image is first resized to (covers the target, aspect preserved). */
  scaledWidth: number;
  scaledHeight: number;
  /** Tiles in scaled coordinates, each exactly the target size. */
  tiles: CropRectangle[];
}

export function planTiles(width: number, height: number, targetWidth: number, targetHeight: number, overlapRatio: number): TilePlan {
  const scale = Math.max(targetWidth / width, targetHeight / height);
  const scaledWidth = Math.max(targetWidth, Math.round(width * scale));
  const scaledHeight = Math.max(targetHeight, Math.round(height * scale));
  const tiles: CropRectangle[] = [];
  for (const top of tileOffsets(scaledHeight, targetHeight, overlapRatio))
    for (const left of tileOffsets(scaledWidth, targetWidth, overlapRatio)) tiles.push({ left, top, width: targetWidth, height: targetHeight });
  return { scaledWidth, scaledHeight, tiles };
}
