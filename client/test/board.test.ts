import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen, within, fireEvent, waitFor } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import BoardView from '../src/components/BoardView.svelte';
import { BoardModel } from '../src/lib/board.svelte';
import { columnTotals, columnsFrom, fromCents, placeDeal, toCents, weightedCents } from '../src/lib/board';
import { ApiError } from '../src/lib/api';
import type { DealRecord } from '../../shared/schemas';
import { board, deal, deferred, stage } from './fixtures';


afterEach(() => cleanup());
describe('board totals', () => {
  it('adds money exactly in cents and rounds weighted amounts half away from zero', () => {
    expect(toCents('0.10') + toCents('0.20')).toBe(30n);
    expect(fromCents(toCents('1234.5'))).toBe('1234.50');
    expect(fromCents(toCents('-3.07'))).toBe('-3.07');
    // 0.05 × 50% = 0.025 → 0.03 (PostgreSQL round), never 0.02
    expect(weightedCents(5n, 50)).toBe(3n);
    expect(weightedCents(-5n, 50)).toBe(-3n);
    const s = stage('Proposal', 2, 35);
    const col = columnsFrom(board([s], [deal(s.id, '1000.10'), deal(s.id, '0.01'), deal(s.id, '99.99')]))[0]!;
    // 350.035 → 350.04, 0.0035 → 0.00, 34.9965 → 35.00
    expect(columnTotals(col)).toEqual({ count: 3, total: '1100.10', weighted: '385.04' });
  });

  it('never lets an older record of a deal replace a newer one', () => {
    const a = stage('A', 0, 10), b = stage('B', 1, 50);
    const d = deal(a.id, '10', { version: 3 });
    const cols = columnsFrom(board([a, b], [d]));
    const stale = placeDeal(cols, { ...d, stageId: b.id, version: 2 });
    expect(stale[0]!.deals.map((x) => x.id)).toEqual([d.id]);
    const newer = placeDeal(cols, { ...d, stageId: b.id, version: 4 });
    expect(newer[1]!.deals.map((x) => x.id)).toEqual([d.id]);
    expect(newer[0]!.deals).toEqual([]);
    // Closed deals leave the board (it shows open deals only).
    expect(placeDeal(cols, { ...d, status: 'WON', version: 5 }).flatMap((c) => c.deals)).toEqual([]);
  });

  it('shows each stage in order with count, total and weighted amount', () => {
    const lead = stage('Lead', 0, 10), qual = stage('Qualified', 1, 25);
    const model = new BoardModel(async (d) => d);
    model.load(board([qual, lead], [deal(lead.id, '1000'), deal(lead.id, '500.50'), deal(qual.id, '2000')]));
    render(BoardView, { props: { model, ownerName: () => 'Ravi Rep', companyName: () => '' } });
    const cols = screen.getAllByTestId('stage-column');
    expect(cols.map((c) => within(c).getByRole('heading').textContent)).toEqual(['Lead', 'Qualified']);
    expect(within(cols[0]!).getByTestId('stage-count').textContent).toBe('2');
    expect(within(cols[0]!).getByTestId('stage-total').textContent).toBe('$1,501');
    expect(within(cols[0]!).getByTestId('stage-weighted').textContent).toContain('$150 weighted');
    expect(within(cols[1]!).getByTestId('stage-weighted').textContent).toContain('$500 weighted');
    expect(screen.getByTestId('board-summary').textContent).toContain('3 open deals');
  });
});

describe('optimistic moves', () => {
  function setup(mover: (d: DealRecord, stageId: string) => Promise<DealRecord>) {
    const a = stage('Lead', 0, 10), b = stage('Qualified', 1, 50);
    const d = deal(a.id, '1000', { name: 'Acme renewal', version: 2 });
    const model = new BoardModel(mover);
    model.load(board([a, b], [d]));
    render(BoardView, { props: { model, ownerName: () => 'Ravi Rep', companyName: () => '' } });
    const col = (i: number) => screen.getAllByTestId('stage-column')[i]!;
    return { a, b, d, model, col };
  }

  it('moves the card at once and keeps it where the server put it', async () => {
    const req = deferred<DealRecord>();
    const calls: [string, string, number][] = [];
    const { b, d, model, col } = setup((deal, stageId) => { calls.push([deal.id, stageId, deal.version]); return req.promise; });
    const done = model.move(d.id, b.id);
    flushSync();
    expect(within(col(1)).getByText('Acme renewal')).toBeTruthy();
    expect(within(col(1)).getByTestId('stage-total').textContent).toBe('$1,000');
    expect(within(col(0)).getByTestId('stage-count').textContent).toBe('0');
    expect(calls).toEqual([[d.id, b.id, 2]]);
    req.resolve({ ...d, stageId: b.id, version: 3 });
    expect(await done).toBe(true);
    flushSync();
    expect(within(col(1)).getByText('Acme renewal')).toBeTruthy();
    expect(screen.queryByTestId('board-message')).toBeNull();
  });

  it('rolls back with a clear message on 422', async () => {
    const req = deferred<DealRecord>();
    const { b, d, model, col } = setup(() => req.promise);
    const done = model.move(d.id, b.id);
    flushSync();
    expect(within(col(1)).queryByText('Acme renewal')).toBeTruthy();
    req.reject(new ApiError(422, 'INVALID_STAGE', "Stage does not belong to the deal's pipeline"));
    expect(await done).toBe(false);
    flushSync();
    expect(within(col(0)).getByText('Acme renewal')).toBeTruthy();
    expect(within(col(1)).queryByText('Acme renewal')).toBeNull();
    expect(screen.getByTestId('board-message').textContent).toMatch(/Could not move “Acme renewal”: Qualified is not a stage/);
  });

  it('on 409 shows the version the server has, not the stale one', async () => {
    const { a, b, d, model, col } = setup(async () => {
      throw new ApiError(409, 'VERSION_CONFLICT', 'changed', { current: { ...d, name: 'Acme renewal (edited)', stageId: a.id, version: 5 } });
    });
    expect(await model.move(d.id, b.id)).toBe(false);
    flushSync();
    expect(within(col(0)).getByText('Acme renewal (edited)')).toBeTruthy();
    expect(screen.getByTestId('board-message').textContent).toContain('someone else changed it first');
  });

  it('moves a focused card with Alt+arrow keys', async () => {
    const moves: string[] = [];
    const { b, d, col } = setup(async (deal, stageId) => { moves.push(stageId); return { ...deal, stageId, version: deal.version + 1 }; });
    const card = within(col(0)).getByTestId('deal-card');
    await fireEvent.keyDown(card, { key: 'ArrowRight', altKey: true });
    await waitFor(() => expect(within(col(1)).getByText('Acme renewal')).toBeTruthy());
    expect(moves).toEqual([b.id]);
    // Past the last stage nothing happens.
    await fireEvent.keyDown(within(col(1)).getByTestId('deal-card'), { key: 'ArrowRight', altKey: true });
    expect(moves).toEqual([b.id]);
    expect(d.stageId).not.toBe(b.id);
  });

  it('highlights a deal moved by someone else, and ignores the echo of an older version', () => {
    const { b, d, model, col } = setup(async (x) => x);
    model.applyRemote('deal.moved', { ...d, stageId: b.id, version: 3, fromStageId: d.stageId });
    flushSync();
    expect(within(col(1)).getByTestId('live-highlight').textContent).toBe('Moved');
    model.applyRemote('deal.updated', { ...d, version: 2 });
    flushSync();
    expect(within(col(1)).getByText('Acme renewal')).toBeTruthy();
  });
});
