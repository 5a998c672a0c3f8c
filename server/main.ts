import { loadConfig } from './config.js';
import { createPulse } from './app.js';
import { seedDemo, DEMO_USERS, DEMO_PASSWORD } from './db/seed-demo.js';
import { defaultExtensions } from './extensions.js';

const config = loadConfig();
const pulse = await createPulse(config, { extensions: await defaultExtensions(config) });
if (config.seedDemo) await seedDemo(pulse);
const url = await pulse.listen();
pulse.log.info({ url }, 'Pulse is running');
console.log(`\n  Pulse is running at ${url}\n`);
if (config.seedDemo) {
  console.log('  Demo logins (password: ' + DEMO_PASSWORD + '):');
  for (const u of DEMO_USERS) console.log(`    ${u.role.padEnd(8)} ${u.email}`);
  console.log(
    `  Storage: ${config.databaseUrl ? 'PostgreSQL' : 'embedded PGlite in ' + config.dataDir}; bus: ${config.redisUrl ? 'Redis' : 'in-process'}\n`,
  );
}

// A stray rejection from a client library (say, Redis going away mid-command) must not take down a
// node that can still serve REST from PostgreSQL: log it loudly and keep running.
process.on('unhandledRejection', (err) => {
  pulse.log.error({ err }, 'unhandled rejection');
});

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, async () => {
    if (stopping) process.exit(1);
    stopping = true;
    await pulse.close().catch(() => {});
    process.exit(0);
  });
}
