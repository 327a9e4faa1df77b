import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Only `src/cli` talks to the shell: it alone imports from itself, exits the process and decides exit codes. The
 * library below reports outcomes (summaries' `outcome`, migrate's `kind`, errors' `kind`); `cli/exit-codes.ts` maps
 * them. This reads the source as the grep checks of issue 16 do, so a regression fails here rather than in review.
 */

const SRC = join(import.meta.dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

const library = sources(SRC)
  .map((path) => ({ file: relative(SRC, path), text: readFileSync(path, 'utf8') }))
  .filter((f) => !f.file.startsWith(`cli/`));

/** `file:line: text` for every line that matches, so a failure names the place. */
function linesMatching(re: RegExp): string[] {
  return library.flatMap((f) => f.text.split('\n').flatMap((line, i) => (re.test(line) ? [`src/${f.file}:${i + 1}: ${line.trim()}`] : [])));
}

describe('the library never reaches up into src/cli', () => {
  it('reads the whole source tree', () => {
    expect(library.map((f) => f.file)).toEqual(expect.arrayContaining(['migrate/migrate.ts', 'load/loader.ts', 'errors.ts', 'verify/verifier.ts']));
  });

  it('imports nothing from src/cli', () => {
    expect(linesMatching(/from\s+'(\.\.\/)+cli\//)).toEqual([]);
  });

  it('never exits the process', () => {
    expect(linesMatching(/process\.exit/)).toEqual([]);
  });

  it('decides no exit code', () => {
    expect(linesMatching(/\bexitCode\b|\bEXIT\./)).toEqual([]);
  });
});
