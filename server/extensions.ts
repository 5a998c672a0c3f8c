import type { Config } from './config.js';
import type { PulseExtension } from './extension.js';
import { realtimeExtension } from './realtime/realtime.extension.js';
import { notesExtension } from './notes/index.js';
import { consumersExtension } from './consumers/consumers.extension.js';
import { auditConsumer } from './consumers/audit.consumer.js';
import { jobsExtension } from './jobs/jobs.extension.js';

/** The extensions a production node runs, in order. */
export async function defaultExtensions(_config: Config): Promise<PulseExtension[]> {
  return [realtimeExtension(), notesExtension(), consumersExtension({ consumers: [auditConsumer()] }), jobsExtension()];
}
