import type { Board, DealRecord } from '../../../shared/schemas';
import { ApiError, errorText } from './api';
import { adjacentStage, columnsFrom, findDeal, moveLocally, placeDeal, removeDeal, type Column } from './board';

export type Mover = (deal: DealRecord, stageId: string) => Promise<DealRecord>;

/**
 * The board's state: columns, optimistic moves with rollback, and live changes from others (which are
 * highlighted for a few seconds so nobody misses a card jumping).
 */
export class BoardModel {
  columns = $state<Column[]>([]);
  message = $state<{ kind: 'error' | 'info'; text: string } | null>(null);
  highlights = $state<Record<string, string>>({});
  pending = $state<Record<string, boolean>>({});

  constructor(
    private mover: Mover,
    public accept: (d: DealRecord) => boolean = () => true,
    private highlightMs = 4000,
  ) {}

  load(board: Board) {
    this.columns = columnsFrom(board);
  }

  async move(dealId: string, stageId: string): Promise<boolean> {
    const deal = findDeal(this.columns, dealId);
    if (!deal || deal.stageId === stageId || this.pending[dealId]) return false;
    const target = this.columns.find((c) => c.stage.id === stageId);
    this.columns = moveLocally(this.columns, dealId, stageId);
    this.pending[dealId] = true;
    this.message = null;
    try {
      const saved = await this.mover(deal, stageId);
      this.columns = placeDeal(this.columns, saved, this.accept);
      if (saved.status !== 'OPEN') this.message = { kind: 'info', text: `“${deal.name}” closed as ${saved.status === 'WON' ? 'won' : 'lost'}.` };
      return true;
    } catch (e) {
      // Roll back to what the server says is true: the fresh record on a version conflict, else the original.
      const current = e instanceof ApiError && e.status === 409 ? ((e.details as any)?.current as DealRecord | undefined) : undefined;
      this.columns = placeDeal(this.columns, current ?? deal, this.accept, true);
      const why =
        e instanceof ApiError && e.status === 409
          ? 'someone else changed it first — the board shows the latest version'
          : e instanceof ApiError && e.status === 422
            ? `${target?.stage.name ?? 'that stage'} is not a stage of this deal's pipeline`
            : errorText(e);
      this.message = { kind: 'error', text: `Could not move “${deal.name}”: ${why}.` };
      return false;
    } finally {
      delete this.pending[dealId];
    }
  }

  moveBy(dealId: string, delta: -1 | 1) {
    const to = adjacentStage(this.columns, dealId, delta);
    return to ? this.move(dealId, to) : Promise.resolve(false);
  }

  /** A deal event from the live stream. */
  applyRemote(type: string, data: any) {
    if (type === 'deal.deleted') {
      this.columns = removeDeal(this.columns, data.id);
      return;
    }
    const deal = data as DealRecord;
    // Our own in-flight move settles through its HTTP answer; its echo must not fight the optimistic state.
    if (this.pending[deal.id]) return;
    const before = findDeal(this.columns, deal.id);
    this.columns = placeDeal(this.columns, deal, this.accept);
    const after = findDeal(this.columns, deal.id);
    if (after && (!before || before.stageId !== after.stageId || type === 'deal.created'))
      this.flash(deal.id, type === 'deal.created' ? 'New' : 'Moved');
  }

  private flash(id: string, label: string) {
    this.highlights[id] = label;
    setTimeout(() => {
      delete this.highlights[id];
    }, this.highlightMs);
  }
}
