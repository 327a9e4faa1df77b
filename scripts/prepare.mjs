// `prepare` runs on `npm ci` / `npm install` in a checkout (and before `npm pack`). With TypeScript installed it
// builds dist/, so `npm ci && npm start` works on a fresh clone. Without it (`npm install --omit=dev`) it keeps the
// dist/ that is there, and says clearly what to do when there is none, instead of failing on a missing `tsc`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let tsc;
try {
  tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  tsc = undefined;
}
if (tsc) {
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'config', 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  process.exit(r.status ?? 1);
}
if (existsSync(join(root, 'dist', 'src', 'cli', 'bin.js'))) {
  console.log('prepare: TypeScript is not installed (production install): using the dist/ that is already built.');
  process.exit(0);
}
console.error('prepare: dist/ is not built and TypeScript is not installed. Run `npm ci` (with dev dependencies) to build it.');
process.exit(1);
