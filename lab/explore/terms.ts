/**
 * The words reports use, each explained once (`deliverylab explain "<term>"`): the stats line, the
 * recovery lines, the delivery paths and the fates of copies.
 */
export const TERMS = {
  'sent': 'How many times the applications called send() (invokes), retries not counted.',
  'acked': "How many send() calls resolved with an ack (each application's own view, once per send).",
  'refused': 'How many send() calls were refused with a definite error code (id_conflict, bad_frame, …): certainly not committed.',
  'unsettled': 'send() calls still pending at the end or given up with their outcome unknown; "(N not in db)" says how many of them were never committed: lost, and the application was never told. The sends-settled invariant fails on any.',
  'db': 'Rows in the messages table at the final reads: the truth every invariant is judged against.',
  'deliveries': "Messages handed to the applications' message callbacks, over every client.",
  'dups dropped': 'Copies the client SDKs received and dropped because their seq was at or below the cursor: replays, fetch overlaps, duplicate publishes and republished retries. Expected; the application never sees them.',
  'gaps filled': 'Messages a client got by a gap fetch: it saw a later seq (or a head) first, held it, and fetched what was missing from the database.',
  'retries': "Send attempts after the first (the SDK's resends with the same id, after a reconnect or on its retry timer).",
  'lost before recovery': 'Database messages that had not reached every member client when the recovery phase began (the workload and the faults were over). Not a violation: the recovery phase then brings them; a message still missing after it breaks at-least-once.',
  'recovery': "Recovery time after a fault: from when it struck (a kill), fired (a crash point) or healed (a lasting fault), until the last message acked before that instant reached every member. 0 ms when nothing was waiting.",
  'latency': 'From the application calling send() to each member application receiving the message (p50, p99, max over every delivery).',
  'live-local': "A delivery's path: fanned out by the worker that committed the message, to its own clients, right after the ack.",
  'live-bus': "A delivery's path: received by the client's worker from Redis (published by the sender's worker) and fanned out.",
  'replay': "A delivery's path: in the replay a worker sends on join (every committed message after the client's cursor).",
  'fetch': "A delivery's path: in the answer to a gap or tail fetch the client made after seeing a later seq or a head.",
  'republish': "A delivery's path: the publish of a retried id, whose commit found it already committed (duplicate: true).",
  'duplicate-dropped': "A copy's fate: the SDK dropped it, its seq being at or below the cursor or already buffered.",
  'never-delivered': "A copy's fate: it was on the client's wire but its application never received that message (a loss inside the SDK).",
  'cause': "Counterexamples are grouped by cause: a fault active within 500 ms of the message's life (from its send to its ack, or to the end), a crash point counted from when it fired; or none.",
} as const;

/** A term as typed (`lost-before-recovery`, `Lost before recovery`) to its key, or undefined. */
export function findTerm(name: string): keyof typeof TERMS | undefined {
  const key = name.trim().toLowerCase().replace(/[-_]+/g, ' ');
  const hit = (Object.keys(TERMS) as (keyof typeof TERMS)[]).find((k) => k.replace(/-/g, ' ') === key);
  return hit;
}
