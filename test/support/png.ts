import { PNG } from 'pngjs';

/** A decoded screenshot: what the browser drew, pixel by pixel, so a test can ask what a reader would see. */
export interface Picture {
  width: number;
  height: number;
  /** RGBA, row by row. */
  data: Buffer;
}

export function decodePng(buf: Buffer): Picture {
  const png = PNG.sync.read(buf);
  return { width: png.width, height: png.height, data: png.data };
}

/** `#rrggbb` → [r, g, b]. */
function rgb(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

/** How many pixels are within `tolerance` (per channel) of a CSS colour. */
export function pixelsOf(pic: Picture, hex: string, tolerance = 6): number {
  const [r, g, b] = rgb(hex);
  let n = 0;
  for (let i = 0; i < pic.data.length; i += 4) {
    if (Math.abs(pic.data[i]! - r) <= tolerance && Math.abs(pic.data[i + 1]! - g) <= tolerance && Math.abs(pic.data[i + 2]! - b) <= tolerance) n++;
  }
  return n;
}

/** Rows that hold dark "ink" (text, rules): a page that rendered nothing, or only a header, has few. */
export function inkedRows(pic: Picture, threshold = 110): number {
  let rows = 0;
  for (let y = 0; y < pic.height; y++) {
    const start = y * pic.width * 4;
    for (let x = 0; x < pic.width; x++) {
      const i = start + x * 4;
      if (pic.data[i]! < threshold && pic.data[i + 1]! < threshold && pic.data[i + 2]! < threshold) {
        rows++;
        break;
      }
    }
  }
  return rows;
}
