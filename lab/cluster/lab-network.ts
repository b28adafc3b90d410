/**
 * A virtual network for several nodes on one machine: a bridge in the lab's own namespace (the host,
 * where Redis, PostgreSQL and the clients stay) and one network namespace per node, joined to it by a
 * veth pair, each with an address of its own. Faults cut links with nftables rules inside a node's
 * namespace (symmetric or one way); deleting the namespaces and the bridge removes every rule with them.
 * Namespaces a dead run left behind (their names carry its pid) are removed by the next network made.
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { processAlive } from './pids.js';

/** One node's place on the network. */
export interface NetNode {
  /** Its network namespace (`ip netns exec <ns> …`). */
  readonly ns: string;
  readonly ip: string;
}

/** Which packets of a link a cut drops: both directions, the node's own sends to the peer, or what the peer sends to the node. */
export type CutDirection = 'both' | 'outbound' | 'inbound';

/** A cut in place: how many packets it dropped each way so far, and how to heal it. */
export interface LinkCut {
  dropped(): Promise<{ outbound: number; inbound: number }>;
  heal(): Promise<void>;
}

/** A running lab network. */
export interface LabNetwork {
  /** The host's address on the bridge (where the lab's services listen for the nodes). */
  readonly hostIp: string;
  readonly nodes: readonly NetNode[];
  /** Drops the packets between node `i` and `peer` (an address, and a TCP port on it, if given) in `direction`. */
  cut(i: number, peer: { ip: string; port?: number }, direction: CutDirection): Promise<LinkCut>;
  /** Deletes the namespaces and the bridge (and with them every rule); idempotent, never throws. */
  close(): Promise<void>;
}

/** Why namespaces cannot be made here, or undefined when they can (root, `ip` and `nft` on PATH). */
export async function networkUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  for (const [cmd, flag, pkg] of [['ip', '-V', 'iproute2'], ['nft', '--version', 'nftables']] as const) {
    if ((await run(cmd, [flag]).catch(() => undefined)) === undefined) return `\`${cmd}\` is not installed (apt-get install -y ${pkg}; make setup installs it)`;
  }
  return undefined;
}

const PREFIX = 'deliverylab-';

/** Makes a bridge and `n` namespaces on a /24 of 10.231.0.0/16 that no interface of the host uses. */
export async function createLabNetwork(n: number): Promise<LabNetwork> {
  await sweepOrphans();
  // A subnet is claimed by creating its bridge, `dlb<subnet>`: `ip link add` fails when another network
  // (of this process or another) has it, and the next subnet is tried. The bridge's alias names its owner.
  let subnet = 0;
  for (let tries = 0; tries < 50 && subnet === 0; tries++) {
    const s = randomInt(1, 255);
    const used = await run('ip', ['-4', '-o', 'addr', 'show']);
    if (used.includes(` 10.231.${s}.`)) continue;
    if ((await run('ip', ['link', 'add', `dlb${s}`, 'type', 'bridge']).then(() => true, () => false))) subnet = s;
  }
  if (subnet === 0) throw new Error('no free /24 in 10.231.0.0/16 for the lab network');
  const id = `${process.pid}-${subnet}`;
  const bridge = `dlb${subnet}`;
  const hostIp = `10.231.${subnet}.1`;
  const nodes: NetNode[] = Array.from({ length: n }, (_, k) => ({ ns: `${PREFIX}${id}-n${k}`, ip: `10.231.${subnet}.${10 + k}` }));
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= (async () => {
    for (const node of nodes) await run('ip', ['netns', 'del', node.ns]).catch(() => undefined);
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
  })());
  try {
    await run('ip', ['link', 'set', bridge, 'alias', `${PREFIX}${process.pid}`]);
    await run('ip', ['addr', 'add', `${hostIp}/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    for (const [k, node] of nodes.entries()) {
      const outer = `dlv${subnet}n${k}`;
      await run('ip', ['netns', 'add', node.ns]);
      await run('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.ns]);
      await run('ip', ['link', 'set', outer, 'master', bridge]);
      await run('ip', ['link', 'set', outer, 'up']);
      const inNs = (...args: string[]) => run('ip', ['netns', 'exec', node.ns, 'ip', ...args]);
      await inNs('addr', 'add', `${node.ip}/24`, 'dev', 'eth0');
      await inNs('link', 'set', 'eth0', 'up');
      await inNs('link', 'set', 'lo', 'up');
      await inNs('route', 'add', 'default', 'via', hostIp);
    }
  } catch (err) {
    await close();
    throw err;
  }
  let cuts = 0;
  return {
    hostIp,
    nodes,
    close,
    cut: async (i, peer, direction) => {
      const node = nodes[i];
      if (!node) throw new Error(`no node ${i} on this network`);
      const table = `dlcut${cuts++}`;
      const port = (side: 'd' | 's') => (peer.port === undefined ? '' : ` tcp ${side}port ${peer.port}`);
      const rules = [
        ...(direction !== 'inbound' ? [`add rule inet ${table} out ip daddr ${peer.ip}${port('d')} counter drop`] : []),
        ...(direction !== 'outbound' ? [`add rule inet ${table} in ip saddr ${peer.ip}${port('s')} counter drop`] : []),
      ];
      const script = [
        `add table inet ${table}`,
        `add chain inet ${table} out { type filter hook output priority 0 ; }`,
        `add chain inet ${table} in { type filter hook input priority 0 ; }`,
        ...rules,
      ].join('\n');
      await run('ip', ['netns', 'exec', node.ns, 'nft', '-f', '-'], script);
      return {
        // A heal that fails says so: the partition would otherwise stay while the history says healed.
        heal: async () => { await run('ip', ['netns', 'exec', node.ns, 'nft', 'delete', 'table', 'inet', table]); },
        dropped: async () => {
          const listing = await run('ip', ['netns', 'exec', node.ns, 'nft', 'list', 'table', 'inet', table]);
          const count = (chain: 'out' | 'in') => Number(new RegExp(`chain ${chain} \\{[^}]*counter packets (\\d+)`).exec(listing)?.[1] ?? 0);
          return { outbound: count('out'), inbound: count('in') };
        },
      };
    },
  };
}

/** Removes the namespaces and bridges of lab networks whose process is gone. */
async function sweepOrphans(): Promise<void> {
  const names = (await run('ip', ['netns', 'list']).catch(() => '')).split('\n').map((l) => l.split(' ')[0] ?? '').filter((s) => s.startsWith(PREFIX));
  for (const ns of names) {
    const pid = Number(ns.slice(PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && !processAlive(pid)) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
  const links = (await run('ip', ['-o', 'link', 'show', 'type', 'bridge']).catch(() => '')).split('\n');
  for (const l of links) {
    const m = /^\d+: (dlb\d+)[:@].*alias deliverylab-(\d+)/.exec(l);
    if (m && !processAlive(Number(m[2]))) await run('ip', ['link', 'del', m[1]!]).catch(() => undefined);
  }
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}
