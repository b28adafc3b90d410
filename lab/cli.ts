#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { UsageError } from './runner/cli-errors.js';
import { serveCommand } from './runner/serve-command.js';
import { runCommand } from './runner/run-command.js';
import { matrixCommand } from './runner/matrix-command.js';
import { explainCommand } from './runner/explain-command.js';
import { builtinScenarioNames, loadScenario } from './runner/scenario-loader.js';

/** Ctrl-C aborts the current run: its finally-blocks stop every process it started. A second Ctrl-C exits at once. */
const interrupt = new AbortController();
function onSignal(sig: NodeJS.Signals): void {
  if (interrupt.signal.aborted) process.exit(2);
  process.stderr.write(`\n${sig}: stopping the run and everything it started…\n`);
  interrupt.abort();
}

async function exitWith(code: Promise<number>): Promise<void> {
  process.exitCode = await code;
}

const program = new Command()
  .name('deliverylab')
  .description('A lab for message-delivery semantics: a chat core under scripted faults, checked against database truth.')
  .exitOverride()
  .showHelpAfterError();

program
  .command('serve')
  .description('run the chat core alone (its own program, src/server/main.ts): a primary, N workers, an embedded redis-server unless --redis')
  .option('--workers <n>', 'worker processes (default: CPU count)')
  .option('--port <port>', 'shared port; worker k also serves port+1+k', '8080')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--admin-host <host>', 'address the admin ports bind (/health and /metrics of worker k on port+1+workers+k)', '127.0.0.1')
  .option('--db <file|url>', 'the database: a SQLite file, or a postgres://user:password@host:port/name URL', 'data/deliverylab.sqlite')
  .option('--redis <url>', 'external Redis URL (or one per worker, comma-separated); default: start a redis-server')
  .option('--redis-cluster', 'the --redis URLs are startup nodes of one Redis Cluster: the bus is sharded pub/sub (SSUBSCRIBE/SPUBLISH)')
  .option('--semantics <name>', 'semantics variant', 'effectively-once')
  .option('--head-interval-ms <ms>', 'how often heads are sent', '1000')
  .option('--synchronous <mode>', 'durability of a commit: FULL, NORMAL or OFF (SQLite\'s synchronous; on PostgreSQL OFF is synchronous_commit=off)', 'FULL')
  .option('--writer <who>', 'who runs the write transactions: primary (one writer, workers commit through it) or worker (each worker, contending for the lock)', 'primary')
  .option('--in-process', 'one process, its own worker and writer, no Redis')
  .option('--auth-secret-file <file>', 'the key tokens are signed with (default: auth.key beside the database, made on first start)')
  .option('--insecure-dev-users', 'teaching only: no tokens, ?user=NAME names the user (anyone is anyone)')
  .option('--allow-origin <origins>', 'browser origins allowed besides this host, comma-separated (scheme://host:port)')
  .action(() => exitWith(serveCommand(process.argv.slice(process.argv.indexOf('serve') + 1))));

program
  .command('token <user>')
  .description('print a token for a user of a local core (the last line of the output is the token): connect with ws://…/ws?token=… or open http://…/?token=…')
  .option('--auth-secret-file <file>', "the core's key file", 'data/auth.key')
  .option('--ttl <duration>', 'how long it is valid (30s, 15m, 12h, 7d)', '12h')
  .action(async (user: string, opts: Record<string, unknown>) => {
    const { tokenCommand } = await import('./runner/token-command.js');
    process.stdout.write(`${await tokenCommand(user, opts)}\n`);
  });

program
  .command('room <room>')
  .description("make a room members-only with these members (--members a,b), or open to every user again (--open), in a core's database")
  .option('--db <file>', 'SQLite file', 'data/deliverylab.sqlite')
  .option('--members <users>', 'comma-separated users who may join (added to any it has)')
  .option('--open', 'open the room to every user again')
  .action(async () => {
    const { roomCommand } = await import('./runner/token-command.js');
    return exitWith(roomCommand(process.argv.slice(process.argv.indexOf('room') + 1)));
  });

const runOptions = (c: Command) => c
  .option('--seed <n>', 'seed (default: the scenario\'s own)')
  .option('--semantics <name>', 'semantics variant (default: the scenario\'s own)')
  .option('--writer <who>', 'who runs the write transactions: primary (default) or worker')
  .option('--synchronous <mode>', "SQLite's synchronous setting in the core: FULL (default: an ack means fsynced), NORMAL or OFF")
  .option('--json <file>', 'write the JSON report')
  .option('--out <dir>', 'where runs keep history.jsonl, the database and logs')
  .option('--no-color', 'plain output')
  .option('-q, --quiet', 'no live progress');

runOptions(program.command('run <scenario>').description('run a scenario (a built-in name, a file, or "all") and print the assertion report'))
  .option('--junit <file>', 'write JUnit XML')
  .option('--html <file>', 'write the HTML report with a timeline (run all: one page per scenario, <file>.<scenario>.html)')
  .option('--all', 'print every counterexample (default: the first 3 per cause; the JSON and HTML reports always hold all)')
  .option('--repeat <n>', 'run the scenario n times (seed, seed+1, …) and say how often each invariant broke, schedule and outcome apart')
  .option('--same-seed', 'with --repeat: the same seed every run (a seed fixes the schedule, not the outcome)')
  .option('--shrink', 'after a failing run, save a smaller scenario that still breaks the same invariant as <out>/<scenario>.shrunk.json, confirmed by a re-run')
  .option('--shrink-runs <n>', 'candidate runs the shrink may spend (about 5 s each)', '12')
  .option('--fault <spec>', 'what if: a fault replacing the scenario\'s, e.g. "crash-point worker:1 after-ack-before-publish nth=5" or "redis-partition worker:1 at=1s for=4s mode=blackhole" (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
  .option('--no-faults', 'what if: no faults at all')
  .option('--rate <n>', 'what if: sends per second')
  .option('--duration <d>', 'what if: workload length (4s, 2500ms)')
  .option('--clients <n>', 'what if: sending clients')
  .option('--workers <n>', 'what if: workers')
  .option('--db <dialect>', 'what if: the database truth, sqlite (a file in the run\'s folder) or postgres (a database of the run\'s own on DL_POSTGRES_URL\'s server)')
  .action((ref: string, opts: Record<string, unknown>) => {
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    return exitWith(runCommand(ref, opts, interrupt.signal));
  });

program
  .command('list')
  .description('list the built-in scenarios')
  .action(async () => {
    for (const name of builtinScenarioNames()) process.stdout.write(`${name.padEnd(28)} ${(await loadScenario(name)).description}\n`);
  });

program
  .command('matrix')
  .description('run semantics variants × scenarios and show which invariant each variant breaks')
  .option('--semantics <list>', 'comma-separated variants (default: all)')
  .option('--scenarios <list>', 'comma-separated scenarios (default: all built-in)')
  .option('--check', "run exactly the cells the scenarios declare (their catches) plus the default everywhere; exit 1 when a declared catch does not happen or the default breaks")
  .option('--jobs <n>', 'runs at once (default: 1, or 2 with --check)')
  .option('--seed <n>', 'seed for every run')
  .option('--writer <who>', 'who runs the write transactions: primary (default) or worker')
  .option('--synchronous <mode>', "SQLite's synchronous setting in the core: FULL (default: an ack means fsynced), NORMAL or OFF")
  .option('--json <file>', 'write the cells as JSON')
  .option('--out <dir>', 'where runs keep their artifacts')
  .option('--no-color', 'plain output')
  .option('-q, --quiet', 'no live progress')
  .action((opts: Record<string, unknown>) => {
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    return exitWith(matrixCommand(opts, interrupt.signal));
  });

program
  .command('bench')
  .description('benchmark the cluster against raw ceilings and Socket.IO + redis-adapter, in one run')
  .option('--quick', 'a short run of every part (smoke test, about a minute)')
  .option('--json <file>', 'write the results as JSON')
  .option('--html <file>', 'write the results as an HTML page, with charts of how cost and latency grow with room size and connections')
  .option('--out <dir>', 'databases and server logs (emptied first)', 'reports/bench')
  .option('--workers <n>', 'deliverylab workers and Socket.IO processes', '2')
  .option('--load-procs <n>', 'load-client processes per round', '2')
  .option('--idle-connections <n>', 'idle connections against one worker (default 10000; 3000 with --quick, in 5 steps: the figure is the slope of RSS over connections)')
  .option('--diagnostics', 'run the diagnostic rounds (default without --quick)')
  .option('--no-diagnostics', 'skip the diagnostic rounds')
  .option('--no-scale-out', 'skip the scaled-out system (3 nodes × 2 workers on PostgreSQL and a Redis Cluster)')
  .action((opts: Record<string, unknown>) => {
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    return exitWith(import('./bench/index.js').then((b) => b.benchCommand(opts, interrupt.signal)));
  });

program
  .command('exercises')
  .description('list the interview questions, one line each starting with its name')
  .action(async () => {
    const { listExercises } = await import('./explore/exercise-command.js');
    process.stdout.write(`${listExercises()}\n`);
  });

program
  .command('exercise <name>')
  .description('an interview question, run for real: predict, run, see your prediction beside what happened, with the why and the key message\'s trace')
  .option('--answer <keys>', 'your prediction without a terminal: rows,sender,members (e.g. 1,acked-duplicate,some-later; ? for don\'t know)')
  .option('--json <file>', 'write {exercise, questions: [{question, choices, predicted, actual, correct, why}], score}')
  .option('--seed <n>', 'seed (default: the scenario\'s own)')
  .option('--out <dir>', 'where the runs are kept', 'reports/exercises')
  .option('-q, --quiet', 'no progress line')
  .action(async (name: string, opts: Record<string, unknown>) => {
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    const { exerciseCommand } = await import('./explore/exercise-command.js');
    return exitWith(exerciseCommand(name, opts, interrupt.signal));
  });

program
  .command('explore')
  .description('a live cluster to probe by hand: a console (terminal with history and completion, and a web console) to kill, pause, partition, crash, send, show, check, trace and save as a scenario')
  .option('--workers <n>', 'workers', '2')
  .option('--clients <n>', 'clients c0…cN-1, spread over the workers', '4')
  .option('--db <dialect>', 'the database truth: sqlite or postgres (a database of the session\'s own)', 'sqlite')
  .option('--rooms <list>', 'comma-separated rooms every client joins', 'lobby')
  .option('--semantics <name>', 'semantics variant', 'effectively-once')
  .option('--rate <n>', 'background sends per second (default 0: only your sends)')
  .option('--seed <n>', 'seed of the clients and faults')
  .option('--out <dir>', 'where the session keeps its history and database', 'reports/explore')
  .option('--script <file>', 'run the commands of this file without a terminal (exit 1 when a check broke, 2 on a bad command)')
  .option('--no-web', 'no web console')
  .option('--web-port <port>', 'port of the web console on 127.0.0.1 (default: any free one)')
  .action(async (opts: Record<string, unknown>) => {
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    const { exploreCommand } = await import('./explore/explore-command.js');
    return exitWith(exploreCommand(opts, interrupt.signal));
  });

program
  .command('trace <message-id>')
  .description("follow one message through every layer of a run: its send attempts, the commit, the ack, each publish, and how and when every member of the room got it")
  .option('--run <dir>', 'the run directory (default: the latest run under --out that holds the id)')
  .option('--out <dir>', 'where runs are kept', 'reports/runs')
  .action(async (id: string, opts: Record<string, unknown>) => {
    const { traceCommand } = await import('./explore/trace-command.js');
    process.stdout.write(`${traceCommand(id, opts)}\n`);
  });

program
  .command('explain <name>')
  .description('explain an invariant, a fault, a semantics variant, a failpoint or a scenario')
  .action(async (name: string) => { process.stdout.write(`${await explainCommand(name)}\n`); });

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`deliverylab: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  }
}

void main();
