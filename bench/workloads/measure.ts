/**
 * Side-by-side timing: the variants of one workload run in alternating rounds and each reports its
 * median round, so a machine that gets busier during the run slows every variant alike instead of
 * whichever ran last. A full garbage collection before each round bills each variant its own garbage.
 */
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

export type Op = (i: number) => Promise<unknown> | unknown;

export interface Timing {
  /** Median wall-clock µs per operation. */
  wall: number;
  /** Median CPU µs per operation of this process (the whole cost on SQLite, the client's on a server). */
  cpu: number;
  /** Every round's wall-clock µs per operation, for the spread. */
  rounds: number[];
}

export interface CompareOptions {
  rounds: number;
  /** Operations per variant and round. */
  ops: number;
  /** Warm-up operations per variant (stopped after a second). */
  warmup: number;
  /** Untimed work before each round of each variant (emptying a table a bulk insert fills). */
  before?: () => Promise<void> | void;
}

export async function compare(
  variants: Record<string, Op>,
  o: CompareOptions,
): Promise<Record<string, Timing>> {
  const names = Object.keys(variants);
  let i = 0;
  for (const name of names) {
    const until = performance.now() + 1000;
    for (let k = 0; k < o.warmup && (k === 0 || performance.now() < until); k++) {
      await o.before?.();
      await variants[name]!(i++);
    }
  }
  const wall = new Map<string, number[]>(names.map((n) => [n, []]));
  const cpu = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let round = 0; round < o.rounds; round++) {
    // Alternate the order too, so no variant always follows the same one.
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const op = variants[name]!;
      await o.before?.();
      collectGarbage();
      const start = performance.now();
      const used = process.cpuUsage();
      for (let k = 0; k < o.ops; k++) await op(i++);
      const spent = process.cpuUsage(used);
      wall.get(name)!.push(((performance.now() - start) * 1000) / o.ops);
      cpu.get(name)!.push((spent.user + spent.system) / o.ops);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return Object.fromEntries(
    names.map((n) => [n, { wall: median(wall.get(n)!), cpu: median(cpu.get(n)!), rounds: wall.get(n)! }]),
  );
}
