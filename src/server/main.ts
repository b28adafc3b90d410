#!/usr/bin/env node
/**
 * The core's program: what a deployment runs (`node dist/src/server/main.js --workers 2 --port 8080`).
 * Started by the lab as a child with an IPC channel, it reports `CoreEvent`s there and takes
 * `ControlRequest`s; on a terminal it prints where it serves. Exit codes: 0 stopped, 2 bad flags or
 * could not start.
 */
import { join } from 'node:path';
import { ControlRequest, redactRedisUrl, slotPort, adminPort, wsUrl, type CoreEvent } from '../protocol/index.js';
import type { EmbeddedRedis } from '../fanout/index.js';
import { CoreUsageError, parseCoreArgv, startCore, type RunningCore } from './core.js';
import { signToken } from '../protocol/auth.js';
import { loadAuthKey } from '../protocol/node/auth-key.js';
import { dbSideDir } from '../store/index.js';

/** The user the printed web chat link is for, and how long its token lasts. */
const WEB_USER = 'web';
const WEB_TOKEN_TTL_S = 12 * 3600;

/** Runs the program: flags from `argv`, events to the IPC parent (the lab) or a summary on stdout. */
async function main(argv: string[]): Promise<void> {
  let o: ReturnType<typeof parseCoreArgv>;
  try {
    o = parseCoreArgv(argv);
  } catch (e) {
    if (!(e instanceof CoreUsageError)) throw e;
    process.stderr.write(`deliverylab core: ${e.message}\n`);
    process.exit(2);
  }
  const ipc = typeof process.send === 'function';
  let stopping: Promise<void> | undefined;
  let core: RunningCore | undefined;
  const emit = (e: CoreEvent, c: { redis: EmbeddedRedis | undefined }) => {
    if (ipc && process.connected) process.send?.(e, undefined, {}, () => undefined); // the parent may be gone already
    // The summary is printed under a parent too: the lab keeps it in the core's log, `serve` shows it.
    if (e.type === 'ready') {
      const slots = Array.from({ length: e.workers }, (_, k) => `worker ${k}: ${wsUrl(o.host, slotPort(o.port, k))} (health and metrics: http://${o.adminHost}:${adminPort(o.port, e.workers, k)}/health, /metrics)`).join('\n  ');
      const redis = c.redis ? `embedded (pid ${c.redis.pid}, unix socket ${c.redis.path})` : (o.redis ? redactRedisUrl(o.redis) : 'none');
      const keyFile = o.authSecretFile ?? join(dbSideDir(o.db), 'auth.key');
      // A token of its own for the web chat, so the page opens as it is printed (a local user, `web`).
      const webToken = o.insecureDevUsers ? Promise.resolve('') : signToken(loadAuthKey(keyFile, false), WEB_USER, WEB_TOKEN_TTL_S).catch(() => '');
      void webToken.then((token) => process.stdout.write(`deliverylab serving on ${wsUrl(o.host, o.port)}\n  ${slots}\n` +
        `  database ${e.dbFile}\n  redis ${redis}\n  semantics ${o.semantics}, writer ${o.inProcess ? 'this process' : o.writer}\n` +
        (o.insecureDevUsers
          ? `  web chat http://${o.host}:${o.port}/?user=NAME\n${'!'.repeat(78)}\n!! INSECURE DEV USERS: no tokens; ?user=NAME makes anyone anyone. Teaching only: never expose this core.\n${'!'.repeat(78)}\n`
          : `  web chat http://${o.host}:${o.port}/?token=${token} (as "${WEB_USER}", for ${WEB_TOKEN_TTL_S / 3600} h)\n` +
            `  auth: tokens signed with ${keyFile} (deliverylab token <user> --auth-secret-file ${keyFile}; connect with ?token=… or Authorization: Bearer …)\n`) +
        'Ctrl-C stops everything.\n'));
    } else if (e.type === 'worker-exit' && !stopping) process.stdout.write(`worker ${e.slot} (pid ${e.pid}) exited (${e.signal ?? `code ${e.code}`}); re-forking\n`);
  };
  let started = false;
  let stopAsked = false;
  let exitCode = 0;
  const stop = (code = exitCode) => {
    // A signal while the core is starting is acted on once it has started (its processes known to stop them).
    if (!started) { stopAsked = true; return Promise.resolve(); }
    stopping ??= (async () => {
      await core?.stop();
      process.exit(code);
    })();
    return stopping;
  };
  const fatal = (why: string) => {
    process.stderr.write(`deliverylab core: ${why}\n`);
    exitCode = 2;
    void stop(2);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  if (ipc) {
    process.on('message', (raw) => {
      const m = ControlRequest.safeParse(raw);
      if (!m.success) return;
      switch (m.data.type) {
        case 'shutdown': return void stop();
        case 'arm':
        case 'disarm': return core?.control(m.data);
      }
    });
    process.on('disconnect', () => void stop());
  }
  core = await startCore(o, emit, fatal);
  started = true;
  if (stopAsked) await stop(); // a signal that arrived while it was starting
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`deliverylab core: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
