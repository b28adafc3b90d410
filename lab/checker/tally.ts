import { MAX_EXAMPLES, type Example, type InvariantResult } from './types.js';

/** Counts checks and violations and keeps every counterexample (up to the `MAX_EXAMPLES` guard), built only when kept. */
export class Tally {
  readonly #name: string;
  readonly #examples: Example[] = [];
  checked = 0;
  violations = 0;

  constructor(name: string) {
    this.#name = name;
  }

  /** Records one violation; `make` runs only while fewer than `MAX_EXAMPLES` are kept. */
  fail(make: () => Example): void {
    this.violations++;
    if (this.#examples.length < MAX_EXAMPLES) this.#examples.push(make());
  }

  /** The result so far. */
  result(notes?: string[]): InvariantResult {
    const r: InvariantResult = {
      name: this.#name,
      ok: this.violations === 0,
      checked: this.checked,
      violations: this.violations,
      examples: [...this.#examples],
    };
    if (notes !== undefined) r.notes = notes;
    return r;
  }
}
