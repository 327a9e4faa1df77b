import { html, joinHtml, type SafeHtml } from './html-template.js';

export interface Bar {
  label: string;
  value: number;
  /** Shown under the label (a count next to a points total…). */
  note?: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * A vertical bar chart as inline SVG, rendered here so the report needs nothing but itself to display and print.
 * Built with the report's template (`html-template.ts`): every text is escaped; coordinates are numbers.
 */
export function barChart(opts: { title: string; bars: readonly Bar[]; color?: string; width?: number; height?: number }): SafeHtml {
  const { title, bars } = opts;
  const color = /^#[0-9a-fA-F]{3,8}$/.test(opts.color ?? '') ? opts.color! : '#3b6ea5';
  const n = Math.max(bars.length, 1);
  const width = opts.width ?? Math.max(360, 90 * n + 60);
  const height = opts.height ?? 260;
  const top = 34;
  const bottom = 54;
  const left = 20;
  const plotH = height - top - bottom;
  const slot = (width - left * 2) / n;
  const barW = Math.max(8, Math.min(60, slot * 0.6));
  const max = Math.max(1, ...bars.map((b) => Math.max(0, b.value)));
  const parts: SafeHtml[] = [];
  parts.push(html`<svg class="chart" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`);
  parts.push(html`<title>${title}</title>`);
  parts.push(html`<text x="${width / 2}" y="18" text-anchor="middle" class="chart-title">${title}</text>`);
  parts.push(html`<line x1="${left}" y1="${top + plotH}" x2="${width - left}" y2="${top + plotH}" stroke="#888" stroke-width="1"/>`);
  bars.forEach((b, i) => {
    const v = Math.max(0, b.value);
    const h = Math.round((v / max) * plotH * 10) / 10;
    const x = Math.round((left + slot * i + (slot - barW) / 2) * 10) / 10;
    const cx = Math.round((left + slot * i + slot / 2) * 10) / 10;
    const y = Math.round((top + plotH - h) * 10) / 10;
    parts.push(html`<rect x="${x}" y="${y}" width="${barW}" height="${h}" fill="${color}"><title>${`${b.label}: ${fmt(b.value)}`}</title></rect>`);
    parts.push(html`<text x="${cx}" y="${Math.max(y - 4, top - 2)}" text-anchor="middle" class="chart-value">${fmt(b.value)}</text>`);
    const label = Array.from(b.label).length > 14 ? `${Array.from(b.label).slice(0, 13).join('')}…` : b.label;
    parts.push(html`<text x="${cx}" y="${top + plotH + 16}" text-anchor="middle" class="chart-label">${label}</text>`);
    if (b.note) parts.push(html`<text x="${cx}" y="${top + plotH + 32}" text-anchor="middle" class="chart-note">${b.note}</text>`);
  });
  parts.push(html`</svg>`);
  return joinHtml(parts);
}
