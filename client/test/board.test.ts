import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen, within, fireEvent, waitFor } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import BoardView from '../src/components/BoardView.svelte';
import { BoardModel } from '../src/lib/board.svelte';
import { boardTotals, columnTotals, columnsFrom, fromCents, moveLocally, placeDeal, toCents, weightedCents } from '../src/lib/board';
import { money } from '../src/lib/format';
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
    expect(columnTotals(col)).toEqual({ count: 3, totals: [{ currency: 'USD', count: 3, amount: '1100.10', weighted: '385.04' }] });
  });

  it('sums each currency on its own, sorted by code, and keeps them apart through moves', () => {
    const a = stage('Half', 0, 50),
      b = stage('Tenth', 1, 10);
    const eur = deal(a.id, '1000.00', { currency: 'EUR' });
    const cols = columnsFrom(
      board(
        [a, b],
        [
          deal(a.id, '0.10'),
          deal(a.id, '0.20'),
          deal(a.id, '0.01'),
          eur,
          deal(a.id, '0.05', { currency: 'EUR' }),
          deal(b.id, '7.00', { currency: 'GBP' }),
        ],
      ),
    );
    // 0.10 + 0.20 is 0.30 exactly; 0.01 × 50% = 0.005 → 0.01 and 0.05 × 50% = 0.025 → 0.03 (half away from zero).
    expect(columnTotals(cols[0]!)).toEqual({
      count: 5,
      totals: [
        { currency: 'EUR', count: 2, amount: '1000.05', weighted: '500.03' },
        { currency: 'USD', count: 3, amount: '0.31', weighted: '0.16' },
      ],
    });
    // A live/optimistic move recomputes with the new stage's probability, still per currency.
    const moved = moveLocally(cols, eur.id, b.id);
    expect(columnTotals(moved[0]!).totals).toEqual([
      { currency: 'EUR', count: 1, amount: '0.05', weighted: '0.03' },
      { currency: 'USD', count: 3, amount: '0.31', weighted: '0.16' },
    ]);
    expect(columnTotals(moved[1]!).totals).toEqual([
      { currency: 'EUR', count: 1, amount: '1000.00', weighted: '100.00' },
      { currency: 'GBP', count: 1, amount: '7.00', weighted: '0.70' },
    ]);
    expect(boardTotals(moved)).toEqual({
      count: 6,
      totals: [
        { currency: 'EUR', count: 2, amount: '1000.05', weighted: '100.03' },
        { currency: 'GBP', count: 1, amount: '7.00', weighted: '0.70' },
        { currency: 'USD', count: 3, amount: '0.31', weighted: '0.16' },
      ],
    });
  });

  it('formats the exact decimal string, not a rounded double', () => {
    // Number('1234567890123456.49') is 1234567890123456.5, which would show …457.
    expect(money('1234567890123456.49', 'USD')).toBe('$1,234,567,890,123,456');
    expect(money('1000.05', 'EUR')).toBe('€1,000');
    expect(money('12', 'JPY')).toBe('¥12');
  });

  it('shows a stage holding USD and EUR deals as one line per currency, and follows live moves', () => {
    const a = stage('Proposal', 0, 50),
      b = stage('Negotiation', 1, 80);
    const eur = deal(a.id, '2000.00', { currency: 'EUR', name: 'Berlin deal' });
    const model = new BoardModel(async (d) => d);
    model.load(board([a, b], [deal(a.id, '1000.00', { name: 'Boston deal' }), eur, deal(a.id, '500.00', { currency: 'EUR' })]));
    render(BoardView, { props: { model, ownerName: () => 'Ravi Rep', companyName: () => '' } });
    const col = (i: number) => screen.getAllByTestId('stage-column')[i]!;
    const lines = (i: number) =>
      within(col(i))
        .queryAllByTestId('stage-sum')
        .map((l) => [
          l.dataset.currency,
          within(l).getByTestId('stage-total').textContent,
          within(l).getByTestId('stage-weighted').textContent?.trim(),
        ]);
    expect(within(col(0)).getByTestId('stage-count').textContent).toBe('3');
    expect(lines(0)).toEqual([
      ['EUR', '€2,500', '€1,250 weighted'],
      ['USD', '$1,000', '$500 weighted'],
    ]);
    expect(lines(1)).toEqual([]);
    const summary = () => screen.getByTestId('board-summary').textContent!.replace(/\s+/g, ' ').trim();
    expect(summary()).toBe('3 open deals · €2,500 (€1,250 weighted) · $1,000 ($500 weighted)');
    // Someone else moves the EUR deal on: both columns recompute, each currency on its own line.
    model.applyRemote('deal.moved', { ...eur, stageId: b.id, version: 2 });
    flushSync();
    expect(lines(0)).toEqual([
      ['EUR', '€500', '€250 weighted'],
      ['USD', '$1,000', '$500 weighted'],
    ]);
    expect(lines(1)).toEqual([['EUR', '€2,000', '€1,600 weighted']]);
    expect(summary()).toBe('3 open deals · €2,500 (€1,850 weighted) · $1,000 ($500 weighted)');
    // Exact amounts are one hover away.
    expect(within(col(1)).getByTestId('stage-total').title).toBe('1 EUR deal: 2000.00 EUR');
  });

  it('never lets an older record of a deal replace a newer one', () => {
    const a = stage('A', 0, 10),
      b = stage('B', 1, 50);
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
    const lead = stage('Lead', 0, 10),
      qual = stage('Qualified', 1, 25);
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
    const a = stage('Lead', 0, 10),
      b = stage('Qualified', 1, 50);
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
    const { b, d, model, col } = setup((deal, stageId) => {
      calls.push([deal.id, stageId, deal.version]);
      return req.promise;
    });
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
    const { b, d, col } = setup(async (deal, stageId) => {
      moves.push(stageId);
      return { ...deal, stageId, version: deal.version + 1 };
    });
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
