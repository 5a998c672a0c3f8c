import type { ActivityRecord, Board, DealRecord, StageRecord } from '../../shared/schemas';

let n = 0;
export const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;

export function stage(name: string, orderIndex: number, winProbability: number, outcome: StageRecord['outcome'] = 'OPEN'): StageRecord {
  return { id: uuid(), pipelineId: 'p1', name, orderIndex, winProbability, outcome };
}

export function deal(stageId: string, amount: string, over: Partial<DealRecord> = {}): DealRecord {
  const id = uuid();
  return {
    id,
    name: 'Deal ' + id.slice(-3),
    contactId: null,
    companyId: null,
    ownerId: 'u1',
    pipelineId: 'p1',
    stageId,
    amount,
    currency: 'USD',
    closeDate: null,
    status: 'OPEN',
    customData: {},
    notePreview: null,
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    closedAt: null,
    ...over,
  };
}

export function board(stages: StageRecord[], deals: DealRecord[]): Board {
  return {
    pipeline: { id: 'p1', name: 'Sales', stages, createdAt: '2026-01-01T00:00:00.000Z' },
    stages: stages.map((s) => ({ ...s, deals: deals.filter((d) => d.stageId === s.id), count: 0, totals: [] })),
  };
}

export function activity(i: number, over: Partial<ActivityRecord> = {}): ActivityRecord {
  const t = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  return {
    id: uuid(),
    type: (['CALL', 'EMAIL', 'MEETING', 'NOTE', 'TASK'] as const)[i % 5],
    contactId: 'c1',
    dealId: null,
    userId: 'u1',
    subject: `Activity ${i}`,
    body: null,
    scheduledAt: null,
    completedAt: null,
    createdAt: t,
    updatedAt: t,
    ...over,
  };
}

/** A promise whose settlement the test controls, to look at the screen while a request is in flight. */
export function deferred<T>() {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
}
