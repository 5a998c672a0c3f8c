import type { SystemJob } from '../auth/actor.js';
import type { Logger } from '../log.js';

/** What a running job can do: say how far it got. Progress is pushed to the starter at most ~once a second. */
export interface JobControl {
  id: string;
  tenantId: string;
  startedBy: string | null;
  /** 1 on the first run, more on retries. */
  attempt: number;
  log: Logger;
  progress(p: { total?: number; done?: number; failed?: number }): void;
}

/**
 * A kind of background job. It runs on whichever node's pg-boss worker fetches it, with retries.
 * `run` must be safe to run again after a failure or a crash (a retry starts it from the beginning).
 */
export interface JobKind<D = any> {
  /** Also the pg-boss queue name. */
  kind: string;
  /** The system actor its writes (and progress notices) carry. */
  actor: SystemJob;
  /** Retries after the first failure (default 3), the first delay in seconds (default 1), doubling. */
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** How long one run may take before pg-boss counts it as failed (a node that died mid-run) and retries it (default 15 min). */
  expireInSeconds?: number;
  run(data: D, job: JobControl): Promise<void>;
}
