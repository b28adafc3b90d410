import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { z } from 'zod';
import { readDbSnapshot } from '../history/db-snapshot.js';
import { readHistory } from '../history/read-history.js';
import { parseOrUsage, UsageError } from '../runner/cli-errors.js';
import { applyOverrides } from '../runner/overrides.js';
import { runScenario } from '../runner/run-scenario.js';
import { loadScenario } from '../runner/scenario-loader.js';
import { actualAnswers, EXERCISES, keyMessage, QUESTIONS, type Answered, type Exercise } from './exercises.js';
import { messageStory, renderMessageStory } from './message-story.js';

/** Options of `deliverylab exercise`, validated. */
export const ExerciseOptions = z.object({
  answer: z.string().optional(),
  json: z.string().min(1).optional(),
  seed: z.coerce.number().int().nonnegative().optional(),
  out: z.string().min(1).default('reports/exercises'),
  quiet: z.boolean().default(false),
});

/** `deliverylab exercises`: one line per exercise, starting with its name. */
export function listExercises(): string {
  const w = Math.max(...EXERCISES.map((e) => e.name.length));
  return EXERCISES.map((e) => `${e.name.padEnd(w)}  ${e.question}`).join('\n');
}

/** The exercise of a name, or a UsageError listing them. */
export function findExercise(name: string): Exercise {
  const ex = EXERCISES.find((e) => e.name === name);
  if (!ex) throw new UsageError(`unknown exercise "${name}" (deliverylab exercises lists them: ${EXERCISES.map((e) => e.name).join(', ')})`);
  return ex;
}

/** `--answer rows,sender,members`: one choice per question in order, `?` for "don't know", missing ones unanswered. */
export function parseAnswers(text: string): (string | undefined)[] {
  const given = text.split(',').map((s) => s.trim());
  if (given.length > QUESTIONS.length) throw new UsageError(`--answer: ${given.length} answers for ${QUESTIONS.length} questions (${QUESTIONS.map((q) => q.key).join(', ')})`);
  return QUESTIONS.map((q, i) => {
    const a = given[i];
    if (a === undefined || a === '' || a === '?') return undefined;
    if (!(q.choices as readonly string[]).includes(a)) throw new UsageError(`--answer: "${a}" is not an answer to ${q.key} (${q.choices.join(', ')}, or ?)`);
    return a;
  });
}

async function ask(): Promise<(string | undefined)[]> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const out: (string | undefined)[] = [];
    for (const q of QUESTIONS) {
      const line = await rl.question(`${q.question}\n  ${q.choices.map((c, i) => `${i + 1}) ${c}`).join('  ')}  ?) don't know\n> `);
      const t = line.trim();
      const n = Number(t);
      out.push(Number.isInteger(n) && n >= 1 && n <= q.choices.length ? q.choices[n - 1] : (q.choices as readonly string[]).includes(t) ? t : undefined);
    }
    return out;
  } finally {
    rl.close();
  }
}

/** A directory of its own for this run of an exercise. */
function freshDir(base: string): string {
  if (!existsSync(base)) return base;
  for (let n = 2; ; n++) if (!existsSync(`${base}.${n}`)) return `${base}.${n}`;
}

/** `deliverylab exercise <name>`: predict, run, reveal, score. Returns the exit code. */
export async function exerciseCommand(name: string, raw: Record<string, unknown>, signal: AbortSignal): Promise<number> {
  const o = parseOrUsage(ExerciseOptions, raw, 'exercise');
  const ex = findExercise(name);
  let predicted: (string | undefined)[];
  if (o.answer !== undefined) predicted = parseAnswers(o.answer);
  else if (process.stdin.isTTY) {
    process.stdout.write(`${ex.name}: ${ex.question}\n\n`);
    predicted = await ask();
  } else throw new UsageError(`exercise ${name}: no terminal to ask on; give your prediction with --answer ${QUESTIONS.map((q) => q.key).join(',')} (e.g. --answer 1,acked,some-later; ? for don't know)`);

  const loaded = await loadScenario(ex.scenario);
  const sc = ex.overrides ? applyOverrides(loaded, ex.overrides).scenario : loaded;
  const dir = freshDir(join(o.out, ex.name));
  if (!o.quiet) process.stderr.write(`running ${ex.scenario} under ${ex.semantics} (artifacts in ${dir})…\n`);
  const report = await runScenario(sc, { semantics: ex.semantics, ...(o.seed !== undefined ? { seed: o.seed } : {}), outDir: dir, signal });
  if (report.error !== undefined) throw new UsageError(`exercise ${name}: the run could not be carried out: ${report.error}`);
  const history = readHistory(join(dir, 'history.jsonl'));
  const db = readDbSnapshot(join(dir, 'db.sqlite')).messages;
  const id = keyMessage(history, ex.key);
  if (id === undefined) throw new UsageError(`exercise ${name}: this run has no message to follow (${ex.key === 'fired' ? 'the crash point never fired' : 'no send was made during the fault'}); run it again with another --seed`);
  const actual = actualAnswers(history, db, id);
  const answered: Answered[] = QUESTIONS.map((q, i) => ({
    key: q.key, question: q.question, choices: q.choices, predicted: predicted[i], actual: actual.answers[q.key]!, correct: predicted[i] === actual.answers[q.key],
  }));
  const score = answered.filter((a) => a.correct).length;

  const w = Math.max(...answered.map((a) => a.key.length));
  const lines = [
    `${ex.name}: ${ex.question}`,
    `followed message ${id} (run ${dir}, seed ${report.seed}, semantics ${ex.semantics})`,
    '',
    ...answered.map((a) => `${a.correct ? '✔' : '✘'} ${a.key.padEnd(w)}  you: ${(a.predicted ?? '?').padEnd(16)} actual: ${a.actual}`),
    `  members: ${actual.members.map((m) => `${m.client} ${m.got}`).join(', ') || 'none'}`,
    '',
    `why: ${ex.why}`,
    '',
    renderMessageStory(messageStory(history, id, db)),
    '',
    `score: ${score}/${answered.length}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (o.json) {
    mkdirSync(dirname(o.json), { recursive: true });
    writeFileSync(o.json, `${JSON.stringify({
      exercise: ex.name, message: id, run: dir, seed: report.seed, semantics: ex.semantics,
      questions: answered.map((a) => ({ key: a.key, question: a.question, choices: a.choices, predicted: a.predicted ?? null, actual: a.actual, correct: a.correct, why: ex.why })),
      members: actual.members, score,
    }, null, 2)}\n`);
  }
  return 0;
}
