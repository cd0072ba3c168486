import type { SchemaModel } from "../schema/index.js";
import { MigrationError } from "./errors.js";
import type { Migration } from "./migration.js";
import { applyOperations, EMPTY_STATE, StateError } from "./state.js";

/**
 * The migrations as a directed acyclic graph: each migration points at its parents. Branches happen
 * when two people make migrations from the same head; a merge migration (parents = every head) joins
 * them again. Nothing here touches a database.
 */
export class MigrationGraph {
  private readonly byId = new Map<string, Migration>();
  private readonly children = new Map<string, string[]>();
  private readonly ordered: Migration[];

  constructor(migrations: readonly Migration[]) {
    for (const m of migrations) {
      if (this.byId.has(m.id)) throw new MigrationError(`migration id "${m.id}" is used twice`);
      this.byId.set(m.id, m);
      this.children.set(m.id, []);
    }
    for (const m of migrations) {
      for (const p of m.parents) {
        const siblings = this.children.get(p);
        if (!siblings) throw new MigrationError(`parent "${p}" of migration "${m.id}" does not exist`);
        siblings.push(m.id);
      }
    }
    this.ordered = this.topological();
  }

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): Migration {
    const m = this.byId.get(id);
    if (!m) throw new MigrationError(`unknown migration "${id}"; \`plinth migrate status\` lists them`);
    return m;
  }

  /** Migrations without parents: usually one, the initial migration. */
  get roots(): string[] {
    return this.ordered.filter((m) => m.parents.length === 0).map((m) => m.id);
  }

  /** Migrations nothing builds on. More than one means branches that need a merge migration. */
  get heads(): string[] {
    return this.ordered.filter((m) => this.children.get(m.id)!.length === 0).map((m) => m.id);
  }

  /** Every migration, parents before children; among migrations that could go next, the smallest id first. */
  order(): Migration[] {
    return [...this.ordered];
  }

  /** Every migration `id` builds on, not including itself. */
  ancestorsOf(id: string): Set<string> {
    const seen = new Set<string>();
    const stack = [...this.get(id).parents];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...this.get(next).parents);
    }
    return seen;
  }

  /** Every migration that builds on `id`, not including itself. */
  descendantsOf(id: string): Set<string> {
    this.get(id);
    const seen = new Set<string>();
    const stack = [...this.children.get(id)!];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...this.children.get(next)!);
    }
    return seen;
  }

  /**
   * The schema a database has once exactly the migrations `ids` are applied: their operations replayed
   * in graph order from the empty state. A history that does not replay (two branches changing the
   * same table incompatibly, say) is reported with the migration where it breaks.
   */
  stateAt(ids: Iterable<string>): SchemaModel {
    const wanted = new Set(ids);
    let state = EMPTY_STATE;
    for (const m of this.ordered) {
      if (!wanted.has(m.id)) continue;
      try {
        state = applyOperations(state, m.operations);
      } catch (error) {
        if (error instanceof StateError)
          throw new MigrationError(`migration "${m.id}" does not apply: ${error.message}`);
        throw error;
      }
    }
    return state;
  }

  /** Kahn's algorithm with the ready set kept sorted, so the order never depends on file order. */
  private topological(): Migration[] {
    const waiting = new Map([...this.byId.values()].map((m) => [m.id, new Set(m.parents).size]));
    const ready = [...waiting].filter(([, n]) => n === 0).map(([id]) => id);
    const out: Migration[] = [];
    while (ready.length > 0) {
      ready.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
      const id = ready.pop()!;
      out.push(this.byId.get(id)!);
      for (const child of new Set(this.children.get(id))) {
        const left = waiting.get(child)! - 1;
        waiting.set(child, left);
        if (left === 0) ready.push(child);
      }
    }
    if (out.length < this.byId.size) {
      const stuck = [...waiting].filter(([, n]) => n > 0).map(([id]) => id);
      throw new MigrationError(
        `migrations ${stuck.join(", ")} form a cycle through their parents; a migration's parents must be older migrations`,
      );
    }
    return out;
  }
}
