import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { clientStale } from '../../scripts/build.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The browser tests run the built client as `npm start` serves it; build it when missing or older than its sources. */
export default function setup() {
  // The same staleness rule as `npm start` (scripts/build.mjs).
  if (!clientStale()) return;
  // Under a lock: two test runs building into the same folder at once would empty it under each other.
  execFileSync(
    'flock',
    [
      '/tmp/pulse-client-build.lock',
      process.execPath,
      path.join(root, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'client/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    { cwd: root, stdio: 'inherit' },
  );
}
