/**
 * A bug planted below the SDK, in this test only: a socket that never writes a send a second time.
 * The SDK believes it retried; the application's send() never settles. The sends-settled invariant,
 * which judges the application's view, must fail and name the send, each attempt with its worker and
 * the fault active then, and that the id is not in the database.
 */
import { describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { mulberry32 } from '../../src/protocol/index.js';
import { HistoryRecorder } from '../../lab/history/recorder.js';
import { readDbSnapshot } from '../../lab/history/db-snapshot.js';
import { startSimClient } from '../../lab/workload/sim-client.js';
import { sendsSettled } from '../../lab/checker/index.js';
import { useCluster } from '../support/cluster-fixture.js';
import { waitFor } from '../support/wait-for.js';
import { workerHealth } from '../support/dist-core.js';

const WAIT_MS = 20_000;

/** The planted bug: any send frame whose id this client already wrote once is silently dropped. */
function neverResends(Base: new (url: string) => WebSocket): new (url: string) => WebSocket {
  const written = new Set<string>();
  return class NeverResends extends Base {
    override send(data: unknown, ...rest: unknown[]): void {
      if (typeof data === 'string') {
        const f = JSON.parse(data) as { type?: string; id?: string };
        if (f.type === 'send' && f.id !== undefined) {
          if (written.has(f.id)) return;
          written.add(f.id);
        }
      }
      (super.send as (...a: unknown[]) => void)(data, ...rest);
    }
  };
}

describe('a send-losing client planted below the SDK', () => {
  const cluster = useCluster('planted-send-loss', 2);

  /** One send through worker 0 as it crashes before the commit; resolves with the history once the clients closed. */
  async function crashOneSend(plant?: typeof neverResends): Promise<HistoryRecorder> {
    const history = new HistoryRecorder();
    const urls = [cluster.core.slotUrl(0), cluster.core.slotUrl(1)];
    const semantics = { dedup: true, replay: true, fetch: true, retry: true, reorder: true };
    const sender = startSimClient({ name: 'c0', home: 0, urls, credentials: await cluster.core.credentials('c0'), rooms: ['lobby'], semantics, history, random: mulberry32(1), ...(plant ? { plant } : {}) });
    const listener = startSimClient({ name: 'l0', home: 1, role: 'listener', urls: [...urls].reverse(), credentials: await cluster.core.credentials('l0'), rooms: ['lobby'], semantics, history, random: mulberry32(2) });
    try {
      await waitFor(() => expect(history.events.filter((e) => e.type === 'joined')).toHaveLength(2), WAIT_MS);
      // Worker 0 dies just before committing the next send it handles.
      history.record({ type: 'fault-start', fault: 'cp', kind: 'crash-point', target: 'worker:0', params: { point: 'before-commit' } });
      cluster.core.control({ type: 'arm', slot: 0, failpoint: 'crash.before-commit', params: { nth: 1, probability: 1, windowMs: 0, seed: 1 } });
      await waitFor(async () => expect((await workerHealth(cluster.core, 0)).failpoints).toContain('crash.before-commit'), WAIT_MS);
      void sender.send('lobby', 'doomed');
      // The SDK reconnects to worker 1 and "retries": the planted socket drops the frame.
      await waitFor(() => expect(history.events.some((e) => e.type === 'send' && e.attempt === 2 && e.worker === 1)).toBe(true), WAIT_MS);
      history.record({ type: 'fault-heal', fault: 'cp', kind: 'crash-point', target: 'worker:0' });
      // Unplanted, the retry is committed and acked; planted, it never will be.
      if (!plant) await waitFor(() => expect(sender.unsettled).toBe(0), WAIT_MS);
      else expect(sender.unsettled).toBe(1);
    } finally {
      await Promise.all([sender.client.close(), listener.client.close()]);
    }
    return history;
  }

  it('without the plant, the crashed send is retried, committed once and settles', async () => {
    const history = await crashOneSend();
    expect(sendsSettled({ history: history.events, db: readDbSnapshot(cluster.dbFile) })).toMatchObject({ ok: true, checked: 1, violations: 0 });
  });

  it('breaks sends-settled with a counterexample naming the send, its attempts and the fault', async () => {
    const history = await crashOneSend(neverResends);
    const db = readDbSnapshot(cluster.dbFile);
    const r = sendsSettled({ history: history.events, db });
    expect(r).toMatchObject({ ok: false, checked: 1, violations: 1 });
    const text = r.examples[0]!.text;
    const invoke = history.events.find((e) => e.type === 'invoke')!;
    expect(text).toContain(`client c0's send of message ${invoke.type === 'invoke' ? invoke.id : ''} (room lobby)`);
    expect(text).toMatch(/was given up at .* with its outcome unknown \(SendAbandonedError/);
    expect(text).toMatch(/attempts: #1 on worker 0 at [\d.]+ ms \(faults: crash-point worker:0\), #2 on worker 1/);
    expect(text).toContain('the id is NOT in the database');
    expect(db.messages).toHaveLength(0);
  });
});
