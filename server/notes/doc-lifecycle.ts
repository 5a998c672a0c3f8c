import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { NotesRuntime } from './runtime.js';
import type { DocName } from './doc-name.js';
import { NoteDoc, ORIGIN_LOAD, ORIGIN_REMOTE, send, type Session } from './note-doc.js';
import { applyRow, type LoadedNote, type Rejected } from './note.store.js';
import { updateMessage, awarenessMessage } from './protocol.js';
import { catchUp } from './remote-updates.js';
import { compactDoc } from './compaction.js';
import { cancelProjection, projectNow } from './text-projection.js';

/**
 * Loading, sharing and freeing documents: one NoteDoc per loaded doc name on this node, loaded once however
 * many clients join at the same time, and freed (projected, compacted, unsubscribed) when the last one leaves.
 */
export class DocLifecycle {
  private loading = new Map<string, Promise<void>>();

  constructor(private rt: NotesRuntime) {}

  async get(name: DocName, tenantId: string): Promise<NoteDoc> {
    for (;;) {
      const d = this.rt.docs.get(name.name);
      if (d) {
        if (!d.unloading) return d;
        await d.unloading;
        continue;
      }
      let p = this.loading.get(name.name);
      if (!p) {
        p = this.load(name, tenantId).finally(() => this.loading.delete(name.name));
        this.loading.set(name.name, p);
      }
      await p;
    }
  }

  /** Loads still running (close waits for them). */
  pending(): Promise<void>[] {
    return [...this.loading.values()];
  }

  private async load(name: DocName, tenantId: string): Promise<void> {
    const { rt } = this;
    // Subscribe before reading so nothing published between the read and the subscription is missed.
    await rt.bus?.subscribe(name.name);
    let d: NoteDoc;
    try {
      const loaded = await rt.store.load(name.name);
      const built = buildDoc(name, tenantId, loaded);
      d = built.doc;
      if (built.rejected.length) {
        const moved = await rt.store.quarantine(name.name, built.rejected);
        rt.totals.quarantined += moved;
        rt.ctx.log.error(
          { doc: name.name, rejected: built.rejected },
          'notes: quarantined log rows that cannot be applied; the note loads without them',
        );
      }
    } catch (err) {
      await rt.bus?.unsubscribe(name.name);
      throw err;
    }
    this.wire(d);
    rt.docs.set(name.name, d);
  }

  /** Local clients get every change of the doc but their own; awareness goes to local clients and other nodes. */
  private wire(d: NoteDoc): void {
    const { rt } = this;
    d.ydoc.on('update', (update: Uint8Array, origin: unknown) => {
      const msg = updateMessage(update);
      for (const s of d.sessions) if (s !== origin) send(s, msg);
    });
    d.awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      const changed = [...added, ...updated, ...removed];
      if (typeof origin === 'object' && origin && (origin as Session).awarenessIds) {
        const s = origin as Session;
        for (const c of added) s.awarenessIds.add(c);
        for (const c of removed) s.awarenessIds.delete(c);
      }
      const update = awarenessProtocol.encodeAwarenessUpdate(d.awareness, changed);
      const msg = awarenessMessage(update);
      for (const s of d.sessions) send(s, msg);
      if (origin !== ORIGIN_REMOTE) rt.bus?.publish(d.name.name, { kind: 'awareness', update });
    });
  }

  /** The last client left (or the node closes): store what is pending, project, compact, and free the doc. */
  unload(d: NoteDoc): Promise<void> {
    const { rt } = this;
    if (d.unloading) return d.unloading;
    d.unloading = (async () => {
      while (d.flushing) await d.flushing;
      // A periodic compaction still running would otherwise finish after a delete's drop.
      while (d.compacting) await new Promise((r) => setTimeout(r, 10));
      if (!d.deleted && !d.tainted) {
        // The last node out writes the preview: with what other nodes stored first, in case the bus missed some.
        if (d.name.kind === 'deal')
          await catchUp(rt, d, true).catch((err) => rt.ctx.log.warn({ err, doc: d.name.name }, 'notes: final catch-up failed'));
        cancelProjection(d);
        await projectNow(rt, d);
        if (d.sinceCompact > 0) await compactDoc(rt, d);
      }
      cancelProjection(d);
      await rt.bus?.unsubscribe(d.name.name);
    })()
      .catch((err) => rt.ctx.log.warn({ err, doc: d.name.name }, 'notes: unload failed'))
      .finally(() => {
        rt.docs.delete(d.name.name);
        d.awareness.destroy();
        d.ydoc.destroy();
      });
    return d.unloading;
  }
}

/**
 * The snapshot, then every log row that applies, in id order. A row the check rejects is skipped (and
 * reported for the quarantine) instead of failing the whole note. A row that makes Yjs throw half-way
 * leaves part of itself behind, so the doc is rebuilt without it: the loaded state is always exactly the
 * snapshot plus the good rows, the same on every node.
 */
export function buildDoc(name: DocName, tenantId: string, loaded: LoadedNote): { doc: NoteDoc; rejected: Rejected[] } {
  const skip = new Map<number, string>();
  for (;;) {
    const d = new NoteDoc(name, tenantId);
    const rejected: Rejected[] = [];
    let threw = false;
    try {
      Y.transact(
        d.ydoc,
        () => {
          // A snapshot is written from a live doc this code checked; one that fails fails the load (1011).
          if (loaded.snapshot) Y.applyUpdate(d.ydoc, loaded.snapshot.state);
          for (const r of loaded.log) {
            const why = skip.get(r.id);
            if (why !== undefined) {
              rejected.push({ id: r.id, reason: why });
              continue;
            }
            const res = applyRow(d.ydoc, r.update);
            if (res.ok) {
              d.seen.add(r.id);
              continue;
            }
            if (res.threw) {
              skip.set(r.id, res.reason);
              threw = true;
              return;
            }
            rejected.push({ id: r.id, reason: res.reason });
          }
        },
        ORIGIN_LOAD,
      );
    } catch (err) {
      d.awareness.destroy();
      d.ydoc.destroy();
      throw err;
    }
    if (threw) {
      d.awareness.destroy();
      d.ydoc.destroy();
      continue;
    }
    d.snapshotSeen = loaded.snapshot?.lastUpdateId ?? 0;
    d.snapshotBytes = loaded.snapshot?.state.byteLength ?? 0;
    return { doc: d, rejected };
  }
}
