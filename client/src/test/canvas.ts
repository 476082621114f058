import { vi } from 'vitest';

/**
 * jsdom has no canvas: its getContext() complains and returns nothing. Answer as a browser that
 * cannot draw does (null), so charts take their no-canvas path: their numbers as a visible table,
 * which is what tests read (never pixels).
 */
export function stubCanvasWithoutContext() {
  return vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null);
}
