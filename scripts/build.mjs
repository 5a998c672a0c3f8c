// Builds what a production node runs, each part only when it is missing or older than its sources:
//   client: Vite build of client/ into client/dist (sources: client/src, client/index.html, the Vite config, shared/)
//   server: server/, shared/ and migrations/ compiled to plain JavaScript in dist/ with esbuild (one file per
//           source file, no bundling, so stack traces and the module layout stay those of the sources)
// Plain JavaScript on purpose: it must run before anything is compiled. `node scripts/build.mjs [--force]`.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (...p) => path.join(root, ...p);

/** Newest mtime under these paths (files and directories, so a removed file counts too); 0 if none exist. */
function newest(paths) {
  let max = 0;
  const visit = (p) => {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    max = Math.max(max, st.mtimeMs);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) if (e !== 'node_modules' && e !== 'dist') visit(path.join(p, e));
  };
  for (const p of paths) visit(p);
  return max;
}
function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

const CLIENT_INPUTS = ['client/src', 'client/index.html', 'client/vite.config.ts', 'client/tsconfig.json', 'shared'].map((p) => at(p));
const CLIENT_OUTPUT = at('client/dist/index.html');
const SERVER_INPUTS = ['server', 'shared', 'migrations', 'tsconfig.json', 'scripts/build.mjs'].map((p) => at(p));
export const SERVER_OUTPUT = at('dist/.built');
export const SERVER_MAIN = at('dist/server/main.js');

export function clientStale() {
  const out = mtime(CLIENT_OUTPUT);
  return !out || newest(CLIENT_INPUTS) > out;
}
export function serverStale() {
  const out = mtime(SERVER_OUTPUT);
  return !out || newest(SERVER_INPUTS) > out || !fs.existsSync(SERVER_MAIN);
}

export function buildClient() {
  const vite = at('node_modules/vite/bin/vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', 'client/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`client build failed (exit ${r.status})`);
}

function tsFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

export async function buildServer() {
  // esbuild comes with tsx (a runtime dependency) and vite, so it is there on every install.
  const esbuild = await import('esbuild');
  // Built beside dist/ and swapped in, so a node starting meanwhile never sees half a build.
  const tmp = at(`dist.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: ['server', 'shared', 'migrations'].flatMap((d) => tsFiles(at(d))),
    outdir: tmp,
    outbase: root,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    tsconfig: at('tsconfig.json'),
    logLevel: 'warning',
  });
  fs.writeFileSync(path.join(tmp, '.built'), new Date().toISOString() + '\n');
  fs.rmSync(at('dist'), { recursive: true, force: true });
  fs.renameSync(tmp, at('dist'));
}

/** Builds the stale parts; returns what it built. */
export async function buildStale({ force = false, log = console.log } = {}) {
  const built = [];
  if (force || clientStale()) {
    const t = Date.now();
    buildClient();
    built.push('client');
    log(`built the client in ${Date.now() - t} ms`);
  }
  if (force || serverStale()) {
    const t = Date.now();
    await buildServer();
    built.push('server');
    log(`built the server in ${Date.now() - t} ms`);
  }
  return built;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildStale({ force: process.argv.includes('--force') });
}
