import { escapeHtml as esc } from './html-escape.js';
import { PREFLIGHT_TITLE, type ChecklistItem } from '../preflight/checklist.js';
import type { RunLink } from './runs.js';

/** Where this page sits among the kept runs: the links are relative, so the folder can be moved or zipped whole. */
export interface ReportNav {
  /** This page's run, when it belongs to one. */
  run: string | null;
  /** From a run folder: the latest report (`../../report.html`). */
  latestHref: string | null;
  /** This run's own folder, from the latest page. */
  runHref: string | null;
  earlier: RunLink[];
}

/** Inline code spans of the checklist text (`like this`) as <code>, everything else escaped. */
function withCode(text: string): string {
  return esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

export function preflightSection(checklist: readonly ChecklistItem[]): string {
  const items = checklist.map((i) => `<li>${withCode(i.risk)}<br><strong>What to do:</strong> ${withCode(i.action)}</li>`).join('\n');
  return `<h2>${esc(PREFLIGHT_TITLE)}</h2>\n<ol class="checklist">\n${items}\n</ol>`;
}

export function runsSection(nav: ReportNav | undefined): string {
  if (!nav) return '';
  const parts = ['<h2>Runs</h2>'];
  if (nav.run)
    parts.push(
      `<p>This report: run <code>${esc(nav.run)}</code>${nav.runHref ? ` (its own copy: <a href="${esc(nav.runHref)}">${esc(nav.runHref)}</a>)` : ''}` +
        `${nav.latestHref ? ` · <a href="${esc(nav.latestHref)}">latest report</a>` : ''}.</p>`,
    );
  if (!nav.earlier.length) parts.push('<p class="note">No earlier run left a report in this folder.</p>');
  else parts.push(`<p>Earlier runs (newest first):</p>\n<ul class="runs">\n${nav.earlier.map((r) => `<li><a href="${esc(r.href)}">${esc(r.id)}</a></li>`).join('\n')}\n</ul>`);
  return parts.join('\n');
}
