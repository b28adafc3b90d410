import { describe, expect, it } from 'vitest';
import { messageStory, renderMessageStory } from '../../lab/explore/message-story.js';
import { sequenceSvg } from '../../lab/report/sequence-svg.js';
import type { HistoryEvent } from '../../lab/history/events.js';

const at = 1_800_000_000_000;
/** A send committed by the primary, its worker killed before the ack, retried on worker 1 (duplicate), republished. */
function crashBeforeAck(): HistoryEvent[] {
  return [
    { t: 0, type: 'join', client: 'c1', room: 'r', after: 0, worker: 0 },
    { t: 0, type: 'join', client: 'c2', room: 'r', after: 0, worker: 1 },
    { t: 0, type: 'join', client: 'c3', room: 'r', after: 0, worker: 1 },
    { t: 100, type: 'invoke', client: 'c1', room: 'r', id: 'm', body: 'hi' },
    { t: 101, type: 'send', client: 'c1', room: 'r', id: 'm', body: 'hi', attempt: 1, worker: 0 },
    { t: 103, type: 'trace', trace: { what: 'commit', at: at + 103, worker: null, id: 'm', room: 'r', seq: 7, duplicate: false, batch: 3, writer: 'primary', forWorker: 0 } },
    { t: 104, type: 'failpoint-fired', worker: 0, pid: 9, failpoint: 'crash.after-commit-before-ack', detail: 'send #1 (id m room r)' },
    { t: 150, type: 'send', client: 'c1', room: 'r', id: 'm', body: 'hi', attempt: 2, worker: 1 },
    { t: 152, type: 'trace', trace: { what: 'commit', at: at + 152, worker: null, id: 'm', room: 'r', seq: 7, duplicate: true, batch: 1, writer: 'primary', forWorker: 1 } },
    { t: 153, type: 'trace', trace: { what: 'fanout', at: at + 153, worker: 1, id: 'm', room: 'r', seq: 7, source: 'local', members: 2, republish: true } },
    { t: 153, type: 'trace', trace: { what: 'publish', at: at + 153, worker: 1, id: 'm', room: 'r', seq: 7, copies: 1, republish: true } },
    { t: 154, type: 'frame', client: 'c2', worker: 1, frame: 'msg', room: 'r', id: 'm', seq: 7, path: 'live' },
    { t: 154, type: 'deliver', client: 'c2', room: 'r', id: 'm', seq: 7, sender: 'c1', body: 'hi', worker: 1, path: 'live' },
    { t: 155, type: 'ack', client: 'c1', room: 'r', id: 'm', seq: 7, duplicate: true, worker: 1 },
  ];
}

describe('messageStory', () => {
  it('an id the run never saw', () => {
    expect(messageStory(crashBeforeAck(), 'nope')).toMatchObject({ found: false, story: ["message nope does not appear in this run's history"] });
  });

  it('a crash after the commit and before the ack: the retry, the duplicate, the republish, who got it and who never did', () => {
    const s = messageStory(crashBeforeAck(), 'm', [{ id: 'm', room: 'r', seq: 7, sender: 'c1', body: 'hi', created_at: at }]);
    expect(s.found).toBe(true);
    expect(s.story).toContain('The SDK wrote it 2 times: #1 to worker 0 at 101 ms, #2 to worker 1 at 150 ms.');
    expect(s.story).toContain('At 103 ms the primary (the one writer) committed it as seq 7 of r, in a transaction of 3 sends, for worker 0.');
    expect(s.story).toContain('At 152 ms the primary (the one writer) found it already committed as seq 7 (a retry, for worker 1).');
    expect(s.story).toContain('Worker 0 died at 104 ms: crash.after-commit-before-ack fired on this very send.');
    expect(s.story).toContain("Members who got it: c2 live, from the retry's republish at 154 ms.");
    expect(s.story).toContain('Members who never got it: c1; c3.');
    expect(s.story).toContain('The database holds one row: r seq 7.');
    expect(s.rows.map((r) => r.t)).toEqual([...s.rows.map((r) => r.t)].sort((a, b) => a - b));
    expect(renderMessageStory(s)).toContain('  104 ms  worker 0  crash.after-commit-before-ack fired on this send: SIGKILL');
  });
});

describe('sequenceSvg', () => {
  it('an id the run never saw has no diagram', () => {
    expect(sequenceSvg(crashBeforeAck(), 'nope')).toBeUndefined();
  });

  it('one lane per client, worker, the writer and Redis; one row per step, the crash marked', () => {
    const svg = sequenceSvg(crashBeforeAck(), 'm')!;
    for (const lane of ['c1', 'worker 0', 'worker 1', 'writer + db', 'redis', 'c2']) expect(svg).toContain(`>${lane}</text>`);
    for (const label of ['send #1', 'commit seq 7', 'crash.after-commit-before-ack: SIGKILL', 'send #2', 'duplicate seq 7', 'publish (re)', 'republish']) expect(svg).toContain(`>${label}</text>`);
    // Rows in time order: the first attempt above the crash, the crash above the retry.
    const y = (label: string) => Number(new RegExp(`y="([\\d.]+)"[^>]*>${label.replace(/[().]/g, '\\$&')}</text>`).exec(svg)?.[1]);
    expect(y('send #1')).toBeLessThan(y('send #2'));
  });
});
