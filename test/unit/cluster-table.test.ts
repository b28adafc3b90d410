/**
 * The primary's table behind `GET /cluster`: each slot's state comes from its process's own
 * reports, so a process that stops reporting goes stale with the age of its last report, a dead
 * one is down with its exit, and a report from a process that is no longer the slot's is ignored.
 */
import { describe, expect, it } from 'vitest';
import { ClusterWorker, CLUSTER_STALE_AFTER_MS, PrimaryToWorker, WorkerToPrimary, type WorkerStatusReport } from '../../src/protocol/index.js';
import { ClusterTable } from '../../src/server/cluster-table.js';
import { chatPageHtml, scriptJson } from '../../src/server/web-ui.js';

const report = (slot: number, pid: number, over: Partial<WorkerStatusReport> = {}): WorkerStatusReport => ({
  type: 'status', slot, pid, connections: 3, rooms: 2, redis: { publisher: 'ready', subscriber: 'ready' }, failpoints: [], ...over,
});

function table(workers: number) {
  let now = 1000;
  const t = new ClusterTable(workers, () => now);
  return { t, advance: (ms: number) => { now += ms; }, slot: (k: number) => ClusterWorker.parse(t.view()[k]) };
}

describe('the cluster table', () => {
  it('a slot is starting, then up while its process reports, then stale with the age of its last report', () => {
    const { t, advance, slot } = table(2);
    expect(slot(0)).toMatchObject({ slot: 0, pid: null, state: 'down', lastSeenMs: null });
    t.forked(0, 101);
    expect(slot(0)).toMatchObject({ pid: 101, state: 'starting', redis: null });
    t.listening(0, 101);
    t.report(report(0, 101));
    advance(400);
    expect(slot(0)).toMatchObject({ state: 'up', lastSeenMs: 400, upForMs: 400, connections: 3, rooms: 2, redis: { publisher: 'ready', subscriber: 'ready' } });
    advance(CLUSTER_STALE_AFTER_MS);
    expect(slot(0)).toMatchObject({ state: 'stale', lastSeenMs: 400 + CLUSTER_STALE_AFTER_MS });
    t.report(report(0, 101, { redis: { publisher: 'reconnecting', subscriber: 'ready' } }));
    expect(slot(0)).toMatchObject({ state: 'up', lastSeenMs: 0, redis: { publisher: 'reconnecting', subscriber: 'ready' } });
  });

  it('a listening process that never reports goes stale too', () => {
    const { t, advance, slot } = table(1);
    t.forked(0, 7);
    t.listening(0, 7);
    expect(slot(0).state).toBe('up');
    advance(CLUSTER_STALE_AFTER_MS + 1);
    expect(slot(0)).toMatchObject({ state: 'stale', lastSeenMs: null });
  });

  it('an exit makes the slot down with the exit; the re-forked process starts fresh; the dead one\'s late report is ignored', () => {
    const { t, advance, slot } = table(1);
    t.forked(0, 10);
    t.listening(0, 10);
    t.report(report(0, 10));
    t.exited(0, 10, null, 'SIGKILL');
    advance(250);
    expect(slot(0)).toMatchObject({ pid: null, state: 'down', exits: 1, lastExit: { pid: 10, code: null, signal: 'SIGKILL', agoMs: 250 } });
    t.forked(0, 11);
    t.report(report(0, 10, { connections: 99 }));
    expect(slot(0)).toMatchObject({ pid: 11, state: 'starting', connections: 0, lastSeenMs: null, exits: 1 });
    t.listening(0, 11);
    t.report(report(0, 11, { connections: 1 }));
    expect(slot(0)).toMatchObject({ pid: 11, state: 'up', connections: 1 });
  });

  it('its messages are part of the IPC contract, both ways', () => {
    expect(WorkerToPrimary.parse(report(0, 5)).type).toBe('status');
    expect(WorkerToPrimary.parse({ type: 'cluster-query', req: 3 }).type).toBe('cluster-query');
    const { t } = table(1);
    expect(PrimaryToWorker.parse(JSON.parse(JSON.stringify({ type: 'cluster-table', req: 3, primaryPid: 1, workers: t.view() }))).type).toBe('cluster-table');
  });
});

describe('the chat page', () => {
  it('embeds its config as data a <script> cannot be broken out of', () => {
    const hostile = '/c?x=</script><script>alert(1)</script><!--\u2028';
    expect(scriptJson(hostile)).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(scriptJson(hostile))).toBe(hostile);
    const html = chatPageHtml({ controls: { commandUrl: '/c?x=</script><script>alert(1)</script>' } });
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(chatPageHtml()).not.toContain('DELIVERYLAB_CONFIG');
  });

  it('refuses a config that is not the protocol\'s WebConfig', () => {
    expect(() => chatPageHtml({ wsBase: 'http://nope' })).toThrow(/wsBase/);
    expect(() => chatPageHtml({ controls: { commandUrl: 'javascript:alert(1)' } } as never)).toThrow(/commandUrl/);
  });
});
