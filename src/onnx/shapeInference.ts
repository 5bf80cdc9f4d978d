// Static shape rules shared by several ops. Errors name the op and every shape involved, because
// a wrong shape deep inside a UNet is otherwise very hard to trace.

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export class ShapeError extends Error {
  constructor(opType: string, message: string) {
    super(`${opType}: ${message}`);
    this.name = 'ShapeError';
  }
}

/** Numpy broadcasting of any number of shapes. */
export function broadcastShapes(opType: string, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === 1) continue;
      if (dim !== 1 && dim !== d) {
        throw new ShapeError(opType, `shapes ${shapes.map(shapeText).join(' and ')} cannot be broadcast together`);
      }
      dim = d;
    }
    out.push(dim);
  }
  return out;
}

/** Resolves negative axes against `rank` and checks bounds. */
export function normaliseAxis(opType: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ShapeError(opType, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Output spatial size of a convolution window (floor mode). */
export function convOutputSize(input: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation: number): number {
  return Math.floor((input + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride) + 1;
}
