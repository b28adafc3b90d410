import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLabNetwork, networkUnavailable, type LabNetwork } from '../../lab/cluster/lab-network.js';
import { waitFor } from '../support/wait-for.js';

const run = (cmd: string, args: string[]) => new Promise<string>((resolve) => execFile(cmd, args, (_e, out) => resolve(out)));
const namespaces = async () => (await run('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]).filter(Boolean);

/**
 * A node-side peer: a process in the node's namespace connected to the host's server, which prints
 * what it receives ("got <text>") and sends "ping" every 50 ms.
 */
function peerIn(ns: string, host: string, port: number): { child: ChildProcess; got: () => string } {
  const script = `const s = require('node:net').connect(${port}, '${host}');
    s.on('data', (d) => process.stdout.write('got ' + d));
    s.on('connect', () => setInterval(() => s.write('ping'), 50));`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  return { child, got: () => out };
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c(); });

describe.skipIf(process.getuid?.() !== 0)('the lab network (namespaces, a bridge, nftables cuts)', () => {
  it('can be made here', async () => {
    expect(await networkUnavailable()).toBeUndefined();
  });

  it('a node reaches the host; a cut drops one direction or both, and its undo restores the link; close leaves no namespace or bridge', async () => {
    const net: LabNetwork = await createLabNetwork(2);
    cleanup.push(() => net.close());
    const received: string[] = [];
    const conns: Socket[] = [];
    const server = createServer((s) => { conns.push(s); s.on('data', (d) => received.push(d.toString())); }).listen(0, net.hostIp);
    cleanup.push(() => { for (const c of conns) c.destroy(); server.close(); });
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const peer = peerIn(net.nodes[0]!.ns, net.hostIp, port);
    cleanup.push(() => { peer.child.kill('SIGKILL'); });
    await waitFor(() => expect(received.length).toBeGreaterThan(0), 10_000);
    const heard = () => received.join('').length;

    // Outbound: what the node sends is dropped (the rule's counter says so), what the host sends still arrives.
    let cut = await net.cut(0, { ip: net.hostIp, port }, 'outbound');
    await waitFor(async () => expect((await cut.dropped()).outbound).toBeGreaterThan(0), 5000);
    const before = heard();
    conns[0]!.write('a');
    await waitFor(() => expect(peer.got()).toContain('got a'), 5000);
    expect((await cut.dropped()).inbound).toBe(0);
    expect(heard()).toBe(before);
    await cut.heal();
    await waitFor(() => expect(heard()).toBeGreaterThan(before), 15_000);

    // Inbound: what the host sends is dropped before the node reads it; healed, it arrives (TCP sends it again).
    cut = await net.cut(0, { ip: net.hostIp, port }, 'inbound');
    conns[0]!.write('b');
    await waitFor(async () => expect((await cut.dropped()).inbound).toBeGreaterThan(0), 5000);
    expect((await cut.dropped()).outbound).toBe(0);
    expect(peer.got()).not.toContain('got b');
    await cut.heal();
    await waitFor(() => expect(peer.got()).toContain('got b'), 15_000);

    // Both ways: nothing crosses, a new connection cannot be made; the other node is untouched.
    cut = await net.cut(0, { ip: net.hostIp, port }, 'both');
    const dial = (ns: string) => new Promise<boolean>((resolve) => execFile('ip', ['netns', 'exec', ns, process.execPath, '-e',
      `const s = require('node:net').connect(${port}, '${net.hostIp}'); s.on('connect', () => process.exit(0)); s.on('error', () => process.exit(1)); setTimeout(() => process.exit(2), 1500);`], (e) => resolve(e === null)));
    expect(await dial(net.nodes[1]!.ns)).toBe(true);
    expect(await dial(net.nodes[0]!.ns)).toBe(false);
    const dropped = await cut.dropped();
    expect(dropped.outbound).toBeGreaterThan(0);
    await cut.heal();
    expect(await dial(net.nodes[0]!.ns)).toBe(true);

    const names = net.nodes.map((n) => n.ns);
    expect(await namespaces()).toEqual(expect.arrayContaining(names));
    expect(await run('ip', ['-4', '-o', 'addr', 'show'])).toContain(` ${net.hostIp}/`);
    await net.close();
    expect((await namespaces()).filter((n) => names.includes(n!))).toEqual([]);
    // The bridge carried the host's address: with it gone, no interface has it.
    expect(await run('ip', ['-4', '-o', 'addr', 'show'])).not.toContain(` ${net.hostIp}/`);
  });

  it('a namespace left by a process that is gone is removed when the next network is made', async () => {
    const orphan = 'deliverylab-4194303-1-n0';
    await run('ip', ['netns', 'add', orphan]);
    expect(await namespaces()).toContain(orphan);
    const net = await createLabNetwork(1);
    cleanup.push(() => net.close());
    expect(await namespaces()).not.toContain(orphan);
  });
});

describe.skipIf(process.getuid?.() !== 0)('lab networks side by side', () => {
  it('two made at once claim different subnets and names; a bridge left by a process that is gone is removed by the next', async () => {
    const [a, b] = await Promise.all([createLabNetwork(2), createLabNetwork(2)]);
    cleanup.push(() => a.close(), () => b.close());
    expect(a.hostIp).not.toBe(b.hostIp);
    expect(new Set([...a.nodes, ...b.nodes].map((n) => n.ns)).size).toBe(4);
    await run('ip', ['link', 'add', 'dlb0', 'type', 'bridge']);
    await run('ip', ['link', 'set', 'dlb0', 'alias', 'deliverylab-4194303']);
    const c = await createLabNetwork(1);
    cleanup.push(() => c.close());
    expect(await run('ip', ['-o', 'link', 'show', 'type', 'bridge'])).not.toContain(' dlb0:');
  });
});
