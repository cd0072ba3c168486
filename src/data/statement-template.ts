import type { CompiledQuery } from "kysely";
import { PlinthError } from "../errors.js";

/** Stands in for the value at `index` of each call's values while a statement is compiled once. */
export class Slot {
  constructor(readonly index: number) {}
}

/** `count` distinct stand-ins, for the values 0 … count − 1. */
export function slots(count: number): Slot[] {
  return Array.from({ length: count }, (_, i) => new Slot(i));
}

/**
 * A statement compiled once with Slots where each call's values go, so a hot path builds no query
 * per call. Parameters that are not slots stay as compiled.
 */
export class StatementTemplate {
  /** Parameter positions that hold a slot, and the value index each takes. */
  private readonly positions: number[] = [];
  private readonly indexes: number[] = [];
  /** Every parameter is a slot, slot k at position k. */
  private readonly inOrder: boolean;

  /** `required`: how many values every call supplies; a slot the compiler dropped is an error here, not a wrong row later. */
  constructor(
    readonly compiled: CompiledQuery,
    required = 0,
  ) {
    compiled.parameters.forEach((p, at) => {
      if (!(p instanceof Slot)) return;
      this.positions.push(at);
      this.indexes.push(p.index);
    });
    this.inOrder =
      this.positions.length === compiled.parameters.length && this.indexes.every((index, at) => index === at);
    const placed = new Array<boolean>(required).fill(false);
    for (const index of this.indexes) if (index < required) placed[index] = true;
    const missing = placed.indexOf(false);
    if (missing >= 0)
      throw new PlinthError(`value ${missing} has no place in the compiled statement: ${compiled.sql}`);
  }

  /**
   * The compiled parameters with this call's values in place of the slots. When the statement is
   * nothing but slots 0 … n − 1 in order (an INSERT of many rows), the values are the parameters:
   * they are returned as they are, which the caller must not change afterwards.
   */
  parameters(values: readonly unknown[]): unknown[] {
    if (this.inOrder && values.length === this.positions.length) return values as unknown[];
    const out = this.compiled.parameters.slice();
    for (let k = 0; k < this.positions.length; k++) out[this.positions[k]!] = values[this.indexes[k]!];
    return out;
  }

  /** The statement with this call's values. */
  fill(values: readonly unknown[]): CompiledQuery {
    return { ...this.compiled, parameters: this.parameters(values) };
  }
}
