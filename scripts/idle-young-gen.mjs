#!/usr/bin/env node
// Measures RSS per idle connection on one worker of the real core the way `deliverylab bench` does
// (the slope of the worker's RSS over 5 steps of connections, after 200 warm-up ones), once per set of
// Node options given, each twice, alternating: e.g.
//   node scripts/idle-young-gen.mjs "" "--max-semi-space-size=4" "--max-semi-space-size=8"
// shows how much of the figure is V8's young generation growing to its size (NOTES.md, issue 14).
// Needs `make build`; starts its own redis-server and core, and stops them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildGroup } from '../dist/lab/bench/children.js';
import { measureIdleConnections } from '../dist/lab/bench/idle-connections.js';
import { startCore } from '../dist/lab/cluster/core-process.js';
import { startRedisServer } from '../dist/lab/cluster/redis-server.js';

const variants = process.argv.length > 2 ? process.argv.slice(2) : [''];
const count = Number(process.env.IDLE_CONNECTIONS ?? 10_000);
const redis = await startRedisServer();
const group = new ChildGroup();
try {
  for (let round = 0; round < 2; round++) {
    for (const nodeOptions of variants) {
      const dir = mkdtempSync(join(tmpdir(), 'dl-idle-'));
      const core = await startCore({ workers: 1, db: join(dir, 'db.sqlite'), redisUrls: [redis.url], insecureDevUsers: true, logFile: join(dir, 'core.log'), env: nodeOptions ? { NODE_OPTIONS: nodeOptions } : {} });
      try {
        const r = await measureIdleConnections({ url: core.slotUrl(0), serverPid: core.pid(0), count, group });
        const mb = r.samples.map((s) => (s.rssBytes / 2 ** 20).toFixed(1)).join(' ');
        console.log(`${nodeOptions || '(defaults)'}: ${r.rssPerConnectionBytes} B per idle connection (${r.opened} opened; worker RSS MiB at each step: ${mb})${r.note ? `; ${r.note}` : ''}`);
      } finally {
        await core.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
} finally {
  await redis.stop();
}
