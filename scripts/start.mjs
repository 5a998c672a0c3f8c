// `npm start`: build the client and the server only where they are missing or stale (scripts/build.mjs),
// then run the node from built JavaScript in this same process (no TypeScript compiled at start).
import { pathToFileURL } from 'node:url';
import { buildStale, SERVER_MAIN } from './build.mjs';

await buildStale();
process.setSourceMapsEnabled(true);
await import(pathToFileURL(SERVER_MAIN).href);
