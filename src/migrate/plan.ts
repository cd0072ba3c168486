import { dialectOf } from "../dialect/index.js";
import type { Dialect, SchemaModel } from "../schema/index.js";
import type { Migration } from "./migration.js";
import type { Operation, Step } from "./operations.js";
import { describeOperation, reverseOperation } from "./operations.js";
import { renderOperation } from "./render/index.js";
import { applyOperation } from "./state.js";

export interface PlannedOperation {
  operation: Operation;
  description: string;
  steps: Step[];
}

export interface MigrationPlan {
  id: string;
  direction: "up" | "down";
  operations: PlannedOperation[];
  /** The schema state once the plan has run. */
  after: SchemaModel;
}

/** The steps that apply `m` to a database at state `before`, and the state it leaves. */
export function planUp(m: Migration, before: SchemaModel, dialect: Dialect): MigrationPlan {
  let state = before;
  const operations: PlannedOperation[] = [];
  for (const o of m.operations) {
    operations.push({
      operation: o,
      description: describeOperation(o),
      steps: renderOperation(o, state, dialect),
    });
    state = applyOperation(state, o);
  }
  return { id: m.id, direction: "up", operations, after: state };
}

/**
 * The steps that undo `m`, given the state `before` it was applied: each operation's exact reverse,
 * last first, each rendered against the state it finds.
 */
export function planDown(m: Migration, before: SchemaModel, dialect: Dialect): MigrationPlan {
  const states: SchemaModel[] = [before];
  for (const o of m.operations) states.push(applyOperation(states[states.length - 1]!, o));
  const operations: PlannedOperation[] = [];
  for (let i = m.operations.length - 1; i >= 0; i--) {
    const reverse = reverseOperation(m.operations[i]!);
    operations.push({
      operation: reverse,
      description: describeOperation(reverse),
      steps: renderOperation(reverse, states[i + 1]!, dialect),
    });
  }
  return { id: m.id, direction: "down", operations, after: before };
}

/** The plan as the SQL a reviewer reads: `plinth migrate sql <id> --dialect <d> [--down]`. */
export function planToSql(plan: MigrationPlan, options: { transaction?: Dialect } = {}): string {
  const lines: string[] = [`-- ${plan.id} (${plan.direction})`];
  // One transaction where the engine can, unless a statement refuses to run inside one.
  const wrap = options.transaction && dialectOf(options.transaction).scriptTransaction;
  const refuses = plan.operations.some((o) => o.steps.some((s) => "sql" in s && s.outsideTransaction));
  const wrapper = wrap && !refuses ? wrap : undefined;
  if (wrapper) lines.push(...wrapper.begin.map((s) => `${s};`));
  for (const o of plan.operations) {
    lines.push("", `-- ${o.description}`);
    for (const step of o.steps) {
      if ("run" in step) lines.push(`-- data step: ${step.description} (TypeScript, not SQL)`);
      else if (step.onlyIf) lines.push(`-- only if: ${step.onlyIf}`, `${step.sql};`);
      else lines.push(`${step.sql};`);
    }
  }
  if (wrapper) lines.push("", ...wrapper.end.map((s) => `${s};`));
  return `${lines.join("\n")}\n`;
}
