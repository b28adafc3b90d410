/**
 * The one table of error codes a server sends in an `error` frame.
 * `definite: true` means the request certainly had no effect (the client may give up on it);
 * `definite: false` means its outcome is unknown and the client must retry with the same id.
 */
export const ERROR_CODES = {
  // malformed input
  bad_json: { category: 'input', doc: 'The frame is not valid JSON.', definite: true },
  bad_frame: { category: 'input', doc: 'The frame is JSON but a field is missing or has the wrong type.', definite: true },
  unknown_type: { category: 'input', doc: 'The frame has a type the server does not know.', definite: true },
  too_large: { category: 'input', doc: 'The frame is larger than the server accepts.', definite: true },
  bad_room: { category: 'input', doc: 'The room name is not valid (1-64 chars of [A-Za-z0-9_.:-]).', definite: true },
  // state
  not_joined: { category: 'state', doc: 'The operation needs the connection to have joined the room first.', definite: true },
  forbidden: { category: 'state', doc: 'The room is members-only and the user is not one of its members.', definite: true },
  id_conflict: { category: 'state', doc: 'The message id is already committed with another room, sender or body.', definite: true },
  // load
  rate_limited: { category: 'load', doc: 'The connection (or the user, across connections) sent too many frames too fast; slow down and retry.', definite: true },
  too_many_rooms: { category: 'load', doc: 'The connection has joined as many rooms as one connection may; leave one first.', definite: true },
  too_many_reads: { category: 'load', doc: 'The connection has as many joins and fetches in flight as one connection may; wait for their answers.', definite: true },
  // server side
  unavailable: { category: 'server', doc: 'The server could not commit right now (database busy or closing); retry with the same id.', definite: false },
  internal: { category: 'server', doc: 'An unexpected server error; the outcome is unknown, retry with the same id.', definite: false },
} as const satisfies Record<string, { category: string; doc: string; definite: boolean }>;

/** A code from the error table. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Every error code, in table order. */
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[];
