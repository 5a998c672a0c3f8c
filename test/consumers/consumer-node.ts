// A server node in its own process with the durable consumers (audit + a probe consumer), for tests
// that kill it with SIGKILL. Env: DATABASE_URL, REDIS_URL, NODE_ID, PROBE_OPTS (JSON). Reports { url } over IPC.
import { loadConfig } from '../../server/config.js';
import { createPulse } from '../../server/app.js';
import { realtimeExtension } from '../../server/realtime/realtime.extension.js';
import { consumersExtension } from '../../server/consumers/consumers.extension.js';
import { auditConsumer } from '../../server/consumers/audit.consumer.js';
import { probeConsumer } from './probe.js';

const config = loadConfig({ ...process.env, SEED_DEMO: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' });
const consumers = consumersExtension({ consumers: [auditConsumer()], pollMs: 300 });
// Tests log in a lot from one address, and login limits are shared through Redis: generous limits, as in test/helpers/server.ts.
const pulse = await createPulse(config, {
  loginLimit: { max: 1000, windowMs: 60_000 },
  extensions: [realtimeExtension({ overdueEveryMs: 0 }), consumers],
});
// Registered once the node exists, so the probe has its ORM for its side connection from the first batch on.
consumers.registry.register(probeConsumer(() => pulse.orm, config.nodeId, JSON.parse(process.env.PROBE_OPTS ?? '{}')));
const url = await pulse.listen(0, '127.0.0.1');
process.on('SIGTERM', () => {
  void pulse.close().finally(() => process.exit(0));
});
process.send!({ url });
