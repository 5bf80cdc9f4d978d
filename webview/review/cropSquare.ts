// The crop editor's square, kept in image pixels: moves and resizes are clamped to the image, and
// the square never grows past the image's short side or shrinks below a usable size.

export interface Square {
  left: number;
  top: number;
  side: number;
}

export const minimumSide = 16;

export function initialSquare(width: number, height: number): Square {
  const side = Math.min(width, height);
  return { left: Math.floor((width - side) / 2), top: Math.floor((height - side) / 2), side };
}

export function moveSquare(square: Square, dx: number, dy: number, width: number, height: number): Square {
  return {
    side: square.side,
    left: Math.round(Math.min(width - square.side, Math.max(0, square.left + dx))),
    top: Math.round(Math.min(height - square.side, Math.max(0, square.top + dy))),
  };
}

/** Resizes from the top-left corner (the handle is bottom-right). */
export function resizeSquare(square: Square, delta: number, width: number, height: number): Square {
  const largest = Math.min(width - square.left, height - square.top);
  const side = Math.round(Math.min(largest, Math.max(Math.min(minimumSide, largest), square.side + delta)));
  return { ...square, side };
}
