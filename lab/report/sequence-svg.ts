import { deliveryPaths } from '../history/delivery-paths.js';
import type { HistoryEvent } from '../history/events.js';
import { escapeXml } from './xml.js';

/** One arrow of a sequence diagram: from a lane to a lane at a time, with a label. */
interface Arrow { t: number; from: string; to: string; label: string; kind: 'send' | 'core' | 'bus' | 'deliver' | 'dup' | 'crash' }

const LANE_W = 118;
const TOP = 46;
const ROW_H = 22;
const COLORS: Record<Arrow['kind'], string> = { send: '#1f5fa8', core: '#555', bus: '#8e44ad', deliver: '#2e8540', dup: '#999', crash: '#c0392b' };

/**
 * A message's sequence diagram as SVG: one lane per client, per worker, the writer (and its database),
 * and Redis; one arrow per step in time order (each send attempt, the commit, the ack, each publish
 * and bus receive, each copy a member got and how), a cross where a crash point killed a worker.
 */
export function sequenceSvg(history: readonly HistoryEvent[], id: string): string | undefined {
  const arrows: Arrow[] = [];
  let sender: string | undefined;
  for (const e of history) {
    if (e.type === 'invoke' && e.id === id) sender ??= e.client;
    else if (e.type === 'send' && e.id === id) arrows.push({ t: e.t, from: e.client, to: `worker ${e.worker ?? '?'}`, label: `send #${e.attempt}`, kind: 'send' });
    else if (e.type === 'failpoint-fired' && e.detail.includes(id)) arrows.push({ t: e.t, from: `worker ${e.worker}`, to: `worker ${e.worker}`, label: `${e.failpoint}: SIGKILL`, kind: 'crash' });
    else if (e.type === 'trace' && 'id' in e.trace && e.trace.id === id) {
      const tr = e.trace;
      switch (tr.what) {
        case 'commit': arrows.push({ t: e.t, from: `worker ${tr.forWorker}`, to: 'writer + db', label: `${tr.duplicate ? 'duplicate' : 'commit'} seq ${tr.seq}`, kind: 'core' }); break;
        case 'conflict': arrows.push({ t: e.t, from: `worker ${tr.forWorker}`, to: 'writer + db', label: 'id_conflict', kind: 'core' }); break;
        case 'ack': if (sender) arrows.push({ t: e.t, from: `worker ${tr.worker}`, to: sender, label: `ack${tr.duplicate ? ' (dup)' : ''}`, kind: 'core' }); break;
        case 'publish': arrows.push({ t: e.t, from: `worker ${tr.worker}`, to: 'redis', label: `publish${tr.copies > 1 ? ` ×${tr.copies}` : ''}${tr.republish ? ' (re)' : ''}`, kind: 'bus' }); break;
        case 'bus-receive': arrows.push({ t: e.t, from: 'redis', to: `worker ${tr.worker}`, label: 'message', kind: 'bus' }); break;
        default: break;
      }
    }
  }
  if (!arrows.some((a) => a.kind !== 'crash')) return undefined;
  for (const r of deliveryPaths(history)) {
    if (r.id !== id) continue;
    const from = `worker ${r.worker ?? '?'}`;
    if (r.kind === 'delivery') arrows.push({ t: r.t, from, to: r.client, label: r.path, kind: 'deliver' });
    else arrows.push({ t: r.t, from, to: r.client, label: r.fate, kind: 'dup' });
  }
  arrows.sort((a, b) => a.t - b.t);
  const clients = [...new Set(arrows.flatMap((a) => [a.from, a.to]).filter((l) => !l.startsWith('worker') && l !== 'redis' && l !== 'writer + db'))]
    .sort((a, b) => (a === sender ? -1 : b === sender ? 1 : a.localeCompare(b)));
  const workers = [...new Set(arrows.flatMap((a) => [a.from, a.to]).filter((l) => l.startsWith('worker')))].sort();
  const lanes = [...clients.slice(0, 1), ...workers, 'writer + db', 'redis', ...clients.slice(1)];
  const x = (lane: string) => 20 + lanes.indexOf(lane) * LANE_W + LANE_W / 2;
  const height = TOP + arrows.length * ROW_H + 30;
  const width = 40 + lanes.length * LANE_W;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`);
  out.push(`<defs>${Object.entries(COLORS).map(([k, c]) => `<marker id="arrow-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`).join('')}</defs>`);
  for (const l of lanes) {
    out.push(`<text x="${x(l)}" y="20" text-anchor="middle" font-weight="600">${escapeXml(l)}</text>`);
    out.push(`<line x1="${x(l)}" y1="28" x2="${x(l)}" y2="${height - 10}" stroke="#ccc"/>`);
  }
  arrows.forEach((a, i) => {
    const y = TOP + i * ROW_H;
    const x1 = x(a.from);
    const x2 = x(a.to);
    const c = COLORS[a.kind];
    out.push(`<text x="4" y="${y + 4}" fill="#888" font-size="10">${Math.round(a.t)}</text>`);
    if (a.kind === 'crash') out.push(`<path d="M${x1 - 6},${y - 6} L${x1 + 6},${y + 6} M${x1 + 6},${y - 6} L${x1 - 6},${y + 6}" stroke="${c}" stroke-width="3"/>`);
    else if (x1 === x2) out.push(`<circle cx="${x1}" cy="${y}" r="4" fill="${c}"/>`);
    else out.push(`<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" stroke="${c}" stroke-width="1.5"${a.kind === 'dup' ? ' stroke-dasharray="4 3"' : ''} marker-end="url(#arrow-${a.kind})"/>`);
    if (a.kind === 'crash') out.push(`<text x="${x1 + 10}" y="${y + 4}" fill="${c}">${escapeXml(a.label)}</text>`);
    else out.push(`<text x="${(x1 + x2) / 2}" y="${y - 4}" text-anchor="middle" fill="${c}">${escapeXml(a.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
