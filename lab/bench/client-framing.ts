/** What one server frame means to a load client. */
export type Incoming =
  | { kind: 'welcome' }
  | { kind: 'joined'; room: string }
  /** The end of a fetch answer (its msgs came before it). */
  | { kind: 'fetched'; room: string; count: number }
  | { kind: 'ack'; id: string; seq: number }
  | { kind: 'msg'; id: string; room: string; seq: number; sender: string; body: string }
  /** A protocol-level frame the client must answer at once (Engine.IO open or ping). */
  | { kind: 'reply'; frame: string }
  | { kind: 'error'; message: string; ref?: string }
  | { kind: 'ignore' };

/** How one load connection frames the bench's operations for a server: one instance per connection. */
export interface ClientFraming {
  /** The URL to open for a user, given a server's base ws URL. */
  url(base: string, user: string): string;
  /** The frame joining a room. */
  joinFrame(room: string): string;
  /** The frame sending a message (built by concatenation: no object, no JSON.stringify). */
  sendFrame(id: string, room: string, body: string): string;
  /** The frame fetching committed messages of a room after a seq from the database, if the protocol has one. */
  fetchFrame?(room: string, after: number, limit: number): string;
  /** Decodes one text frame from the server. */
  parse(text: string): Incoming;
}
