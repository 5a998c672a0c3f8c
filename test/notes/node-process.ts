// A real server node in its own process, for tests that kill it with SIGKILL and for the benchmark.
// Env: DATABASE_URL, REDIS_URL, NOTES_OPTS (JSON). Reports { url } over IPC once listening, and answers
// { cmd: 'cpu' } with its CPU time so far.
import { loadConfig } from '../../server/config.js';
import { createPulse } from '../../server/app.js';
import { notesExtension } from '../../server/notes/index.js';

const config = loadConfig({ ...process.env, SEED_DEMO: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' });
const notes = notesExtension(JSON.parse(process.env.NOTES_OPTS ?? '{}'));
const pulse = await createPulse(config, { extensions: [notes] });
const url = await pulse.listen(0, '127.0.0.1');
process.on('message', (m: any) => {
  if (m?.cmd === 'cpu') process.send!({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss, notes: notes.server()?.stats() });
  if (m?.cmd === 'stop') void pulse.close().then(() => process.exit(0));
});
process.on('SIGTERM', () => {
  void pulse.close().finally(() => process.exit(0));
});
process.send!({ url });
