import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(root, 'client/dist/index.html');

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** The browser tests run the built client as `npm start` serves it; build it when missing or older than its sources. */
export default function setup() {
  const sources = Math.max(newest(path.join(root, 'client/src')), newest(path.join(root, 'shared')),
    fs.statSync(path.join(root, 'client/index.html')).mtimeMs, fs.statSync(path.join(root, 'client/vite.config.ts')).mtimeMs);
  if (fs.existsSync(dist) && fs.statSync(dist).mtimeMs >= sources) return;
  // Under a lock: two test runs building into the same folder at once would empty it under each other.
  execFileSync('flock', ['/tmp/pulse-client-build.lock', process.execPath, path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'client/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}
