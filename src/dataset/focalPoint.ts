// Focal-point cropping: find the crop window that holds the most visual detail, so a subject off
// the centre is kept instead of cut. Detail is a per-pixel weight mixing edge strength (Sobel on
// luminance), local entropy (8×8 blocks, 16 grey levels) and colour saturation, computed on a
// small copy of the image (the window search is about composition, not fine texture).
import type { RgbImage } from './imageLoading';

export interface CropRectangle {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface DetailWeights {
  edges: number;
  entropy: number;
  saturation: number;
}

export const defaultDetailWeights: DetailWeights = { edges: 1, entropy: 1, saturation: 0.5 };

/** A per-pixel detail map: values in [0, sum of weights], `width × height`, row-major. */
export interface DetailMap {
  values: Float64Array;
  width: number;
  height: number;
}

/** Computes the detail map of an image (call it on a downscaled copy: it is O(pixels)). */
export function detailMap(image: RgbImage, weights: DetailWeights = defaultDetailWeights): DetailMap {
  const { width, height, data } = image;
  const n = width * height;
  const luminance = new Float64Array(n);
  const saturation = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = data[3 * i];
    const g = data[3 * i + 1];
    const b = data[3 * i + 2];
    luminance[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    const max = Math.max(r, g, b);
    saturation[i] = max === 0 ? 0 : (max - Math.min(r, g, b)) / max;
  }
  const edges = sobelMagnitude(luminance, width, height);
  const entropy = blockEntropy(luminance, width, height, 8);
  normaliseInPlace(edges);
  normaliseInPlace(entropy);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = weights.edges * edges[i] + weights.entropy * entropy[i] + weights.saturation * saturation[i];
  return { values, width, height };
}

function sobelMagnitude(lum: Float64Array, width: number, height: number): Float64Array {
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    // Borders repeat the edge pixel.
    const up = Math.max(0, y - 1) * width;
    const row = y * width;
    const down = Math.min(height - 1, y + 1) * width;
    for (let x = 0; x < width; x++) {
      const left = Math.max(0, x - 1);
      const right = Math.min(width - 1, x + 1);
      const gx = lum[up + right] + 2 * lum[row + right] + lum[down + right] - lum[up + left] - 2 * lum[row + left] - lum[down + left];
      const gy = lum[down + left] + 2 * lum[down + x] + lum[down + right] - lum[up + left] - 2 * lum[up + x] - lum[up + right];
      out[row + x] = Math.sqrt(gx * gx + gy * gy);
    }
  }
  return out;
}

/** Shannon entropy (bits) of the grey-level histogram of each block, spread over its pixels. */
function blockEntropy(lum: Float64Array, width: number, height: number, block: number): Float64Array {
  const out = new Float64Array(width * height);
  const histogram = new Float64Array(16);
  for (let by = 0; by < height; by += block) {
    for (let bx = 0; bx < width; bx += block) {
      histogram.fill(0);
      const yEnd = Math.min(height, by + block);
      const xEnd = Math.min(width, bx + block);
      const count = (yEnd - by) * (xEnd - bx);
      for (let y = by; y < yEnd; y++) for (let x = bx; x < xEnd; x++) histogram[Math.min(15, Math.floor(lum[y * width + x] / 16))]++;
      let bits = 0;
      for (const h of histogram) if (h > 0) bits -= (h / count) * Math.log2(h / count);
      for (let y = by; y < yEnd; y++) for (let x = bx; x < xEnd; x++) out[y * width + x] = bits;
    }
  }
  return out;
}

function normaliseInPlace(values: Float64Array): void {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  if (max > 0) for (let i = 0; i < values.length; i++) values[i] /= max;
}

/**
 * The `windowWidth × windowHeight` window of the map with the largest detail sum. Ties (e.g. a
 * flat image) go to the window nearest the centre, so featureless images crop like a centre crop.
 */
export function richestWindow(map: DetailMap, windowWidth: number, windowHeight: number): { left: number; top: number } {
  const { width, height, values } = map;
  const w = Math.min(width, Math.max(1, windowWidth));
  const h = Math.min(height, Math.max(1, windowHeight));
  // Summed-area table with a zero row and column in front.
  const stride = width + 1;
  const sums = new Float64Array(stride * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += values[y * width + x];
      sums[(y + 1) * stride + x + 1] = sums[y * stride + x + 1] + row;
    }
  }
  const centreX = (width - w) / 2;
  const centreY = (height - h) / 2;
  let best = { left: Math.round(centreX), top: Math.round(centreY) };
  let bestScore = -Infinity;
  let bestDistance = Infinity;
  for (let top = 0; top + h <= height; top++) {
    for (let left = 0; left + w <= width; left++) {
      const score = sums[(top + h) * stride + left + w] - sums[top * stride + left + w] - sums[(top + h) * stride + left] + sums[top * stride + left];
      const distance = Math.hypot(left - centreX, top - centreY);
      // A relative tolerance keeps float noise from beating the centre on flat images.
      if (score > bestScore + 1e-9 * Math.abs(bestScore) || (Math.abs(score - bestScore) <= 1e-9 * Math.abs(bestScore) && distance < bestDistance)) {
        best = { left, top };
        bestScore = score;
        bestDistance = distance;
      }
    }
  }
  return best;
}

/** The largest centred crop of `width × height` with the aspect ratio `aspect` (width / height). */
export function centreCrop(width: number, height: number, aspect: number): CropRectangle {
  const { cropWidth, cropHeight } = largestCropSize(width, height, aspect);
  return { left: Math.floor((width - cropWidth) / 2), top: Math.floor((height - cropHeight) / 2), width: cropWidth, height: cropHeight };
}

export function largestCropSize(width: number, height: number, aspect: number): { cropWidth: number; cropHeight: number } {
  if (width / height > aspect) return { cropWidth: Math.min(width, Math.max(1, Math.round(height * aspect))), cropHeight: height };
  return { cropWidth: width, cropHeight: Math.min(height, Math.max(1, Math.round(width / aspect))) };
}

/**
 * The largest crop of the full-size image with the given aspect that keeps the most detail.
 * `analysis` is a downscaled copy of the same image (any size with the same proportions).
 */
export function focalCrop(width: number, height: number, aspect: number, analysis: RgbImage, weights: DetailWeights = defaultDetailWeights): CropRectangle {
  const { cropWidth, cropHeight } = largestCropSize(width, height, aspect);
  if (cropWidth === width && cropHeight === height) return { left: 0, top: 0, width, height };
  const map = detailMap(analysis, weights);
  const scaleX = analysis.width / width;
  const scaleY = analysis.height / height;
  const window = richestWindow(map, Math.round(cropWidth * scaleX), Math.round(cropHeight * scaleY));
  const left = Math.min(width - cropWidth, Math.max(0, Math.round(window.left / scaleX)));
  const top = Math.min(height - cropHeight, Math.max(0, Math.round(window.top / scaleY)));
  return { left, top, width: cropWidth, height: cropHeight };
}

/** `count` crops of the largest size with `aspect`, spread evenly along the axis the crop slides on (first flush with one end, last with the other). */
export function slidingCrops(width: number, height: number, aspect: number, count: number): CropRectangle[] {
  const { cropWidth, cropHeight } = largestCropSize(width, height, aspect);
  const slackX = width - cropWidth;
  const slackY = height - cropHeight;
  const slack = Math.max(slackX, slackY);
  const n = slack === 0 ? 1 : Math.max(2, Math.min(count, slack + 1));
  return Array.from({ length: n }, (_, i) => {
    const offset = n === 1 ? 0 : Math.round((i * slack) / (n - 1));
    return { left: slackX > 0 ? offset : 0, top: slackY > 0 ? offset : 0, width: cropWidth, height: cropHeight };
  });
}

/** Detail inside each full-size rectangle, measured on the analysis copy's detail map. */
export function detailOfCrops(width: number, height: number, analysis: RgbImage, crops: readonly CropRectangle[], weights: DetailWeights = defaultDetailWeights): number[] {
  const map = detailMap(analysis, weights);
  const sx = analysis.width / width;
  const sy = analysis.height / height;
  return crops.map((c) => {
    const x0 = Math.round(c.left * sx);
    const y0 = Math.round(c.top * sy);
    const x1 = Math.min(map.width, Math.round((c.left + c.width) * sx));
    const y1 = Math.min(map.height, Math.round((c.top + c.height) * sy));
    let sum = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += map.values[y * map.width + x];
    return sum;
  });
}
