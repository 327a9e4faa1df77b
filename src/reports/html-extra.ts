import { html, joinHtml, type SafeHtml } from './html-template.js';
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
export function withCode(text: string): SafeHtml {
  // split with a capture group: the odd pieces are the spans' contents
  return joinHtml(text.split(/`([^`]+)`/).map((piece, i) => (i % 2 ? html`<code>${piece}</code>` : piece)));
}

export function preflightSection(checklist: readonly ChecklistItem[]): SafeHtml {
  const items = joinHtml(
    checklist.map((i) => html`<li>${withCode(i.risk)}<br><strong>What to do:</strong> ${withCode(i.action)}</li>`),
    '\n',
  );
  return html`<h2>${PREFLIGHT_TITLE}</h2>\n<ol class="checklist">\n${items}\n</ol>`;
}

export function runsSection(nav: ReportNav | undefined): SafeHtml {
  if (!nav) return html``;
  const parts = [html`<h2>Runs</h2>`];
  if (nav.run)
    parts.push(
      html`<p>This report: run <code>${nav.run}</code>${nav.runHref ? html` (its own copy: <a href="${nav.runHref}">${nav.runHref}</a>)` : ''}${
        nav.latestHref ? html` · <a href="${nav.latestHref}">latest report</a>` : ''
      }.</p>`,
    );
  if (!nav.earlier.length) parts.push(html`<p class="note">No earlier run left a report in this folder.</p>`);
  else
    parts.push(
      html`<p>Earlier runs (newest first):</p>\n<ul class="runs">\n${joinHtml(
        nav.earlier.map((r) => html`<li><a href="${r.href}">${r.id}</a></li>`),
        '\n',
      )}\n</ul>`,
    );
  return joinHtml(parts, '\n');
}
