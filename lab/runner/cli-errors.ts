import type { z } from 'zod';

/** Bad input from the user (a flag, a scenario file): the CLI prints it and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Turns a zod error into one line per bad field, naming the field. */
export function describeZodError(err: z.ZodError, where: string): string {
  return err.issues.map((i) => `${where}: ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('\n');
}

/** Parses input with a zod schema or throws a UsageError naming the field. */
export function parseOrUsage<T extends z.ZodType>(schema: T, input: unknown, where: string): z.infer<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw new UsageError(describeZodError(r.error, where));
  return r.data;
}
