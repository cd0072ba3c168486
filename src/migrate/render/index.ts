import type { EditContext } from "../../dialect/index.js";
import { dialectOf } from "../../dialect/index.js";
import type { Dialect, SchemaChange, SchemaModel } from "../../schema/index.js";
import { MigrationError } from "../errors.js";
import type { Operation, Step } from "../operations.js";
import { applyOperation } from "../state.js";

/**
 * The steps that apply one operation to a database whose schema is `before`, on one engine. Schema
 * changes go to the engine's schema editor, with the state they find and the state they leave.
 */
export function renderOperation(o: Operation, before: SchemaModel, dialect: Dialect): Step[] {
  const editor = dialectOf(dialect).editor;
  if (o.op === "data") return [{ run: o.up, description: o.description }];
  if (o.op === "sql") {
    const text = o.up[dialect] ?? o.up.default;
    if (text === undefined)
      throw new MigrationError(`raw SQL step "${o.description ?? "sql"}" has no SQL for ${dialect}`);
    return text.trim() === "" ? [] : editor.raw(text);
  }
  const context: EditContext = { before, after: applyOperation(before, o) };
  return render(o, context, editor);
}

/** One call per kind, so TypeScript matches each change to its renderer. */
function render(change: SchemaChange, context: EditContext, editor: ReturnType<typeof dialectOf>["editor"]) {
  const renderer = editor[change.op] as (c: SchemaChange, ctx: EditContext) => Step[];
  return renderer(change, context);
}
