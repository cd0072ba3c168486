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
  /**
   * Peak memory of the variant's timed rounds, in bytes: the highest V8 heap in use, sampled every
   * 16 operations (after each operation when a round has fewer, while its result is still held),
   * less the heap in use after the full collection that starts the round. All variants share one
   * process, so this is what the variant itself holds and leaves for the collector.
   */
  peakHeap: number;
  /** Each operation's µs, when asked for (`latencies`): p50 and p99 over every timed operation. */
  p50?: number;
  p99?: number;
}

export interface CompareOptions {
  rounds: number;
  /** Operations per variant and round. */
  ops: number;
  /** Warm-up operations per variant (stopped after a second). */
  warmup: number;
  /** Untimed work before each round of each variant (emptying a table a bulk insert fills). */
  before?: () => Promise<void> | void;
  /** Time each operation on its own, for percentiles. */
  latencies?: boolean;
}

/** Runs one operation; a failure names its variant. Not async: a synchronous result stays one. */
function run(name: string, op: Op, i: number): ReturnType<Op> {
  try {
    const result = op(i);
    if (result instanceof Promise)
      return result.catch((error: Error) => {
        throw new Error(`${name}: ${error.message}`);
      });
    return result;
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
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
      await run(name, variants[name]!, i++);
    }
  }
  const wall = new Map<string, number[]>(names.map((n) => [n, []]));
  const cpu = new Map<string, number[]>(names.map((n) => [n, []]));
  const peak = new Map<string, number>(names.map((n) => [n, 0]));
  const each = new Map<string, number[]>(names.map((n) => [n, []]));
  const every = o.ops < 16 ? 1 : 16;
  // The last result, held until the next operation so a sample sees it.
  const held: { result?: unknown } = {};
  for (let round = 0; round < o.rounds; round++) {
    // Alternate the order too, so no variant always follows the same one.
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const op = variants[name]!;
      await o.before?.();
      collectGarbage();
      const floor = process.memoryUsage().heapUsed;
      let high = floor;
      const times = each.get(name)!;
      const start = performance.now();
      const used = process.cpuUsage();
      for (let k = 0; k < o.ops; k++) {
        const at = o.latencies ? performance.now() : 0;
        held.result = await run(name, op, i++);
        if (o.latencies) times.push((performance.now() - at) * 1000);
        if (k % every === 0) high = Math.max(high, process.memoryUsage().heapUsed);
      }
      const spent = process.cpuUsage(used);
      held.result = undefined;
      wall.get(name)!.push(((performance.now() - start) * 1000) / o.ops);
      cpu.get(name)!.push((spent.user + spent.system) / o.ops);
      peak.set(name, Math.max(peak.get(name)!, high - floor));
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const percentile = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
  };
  return Object.fromEntries(
    names.map((n) => {
      const t: Timing = {
        wall: median(wall.get(n)!),
        cpu: median(cpu.get(n)!),
        rounds: wall.get(n)!,
        peakHeap: peak.get(n)!,
      };
      if (o.latencies) {
        t.p50 = percentile(each.get(n)!, 50);
        t.p99 = percentile(each.get(n)!, 99);
      }
      return [n, t];
    }),
  );
}
