#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { UsageError } from './runner/cli-errors.js';
import { serveCommand } from './runner/serve-command.js';

const program = new Command()
  .name('deliverylab')
  .description('A lab for message-delivery semantics: a chat core under scripted faults, checked against database truth.')
  .exitOverride()
  .showHelpAfterError();

program
  .command('serve')
  .description('run the chat core alone: a primary, N workers, an embedded redis-server unless --redis')
  .option('--workers <n>', 'worker processes (default: CPU count)')
  .option('--port <port>', 'shared port; worker k also serves port+1+k', '8080')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--db <file>', 'SQLite file', 'data/deliverylab.sqlite')
  .option('--redis <url>', 'external Redis URL (or one per worker, comma-separated); default: start a redis-server')
  .option('--semantics <name>', 'semantics variant', 'effectively-once')
  .option('--head-interval-ms <ms>', 'how often heads are sent', '1000')
  .option('--synchronous <mode>', 'SQLite synchronous: FULL, NORMAL or OFF', 'FULL')
  .action((opts: Record<string, unknown>) => serveCommand(opts));

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
