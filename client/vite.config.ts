import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const target = process.env.PULSE_API ?? 'http://localhost:3000';

// The client lives in client/ but imports the zod schemas from ../shared, so the dev server may read the repo root.
export default defineConfig({
  root: here,
  plugins: [svelte()],
  build: { outDir: path.join(here, 'dist'), emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1200 },
  server: {
    port: 5173,
    fs: { allow: [path.resolve(here, '..')] },
    proxy: {
      // Keep the browser's Host: the server refuses cookie writes and logins whose Origin is not its own host.
      '/api': { target, changeOrigin: false },
      '/socket.io': { target, ws: true, changeOrigin: true },
      '/yjs': { target, ws: true, changeOrigin: true },
    },
  },
});
