import { PlinthError } from "../errors.js";

/**
 * A mistake in the migrations folder or in how the runner was asked to use it: a file that does not
 * load, a broken history, an unknown target, a changed applied migration; also what the autodetector,
 * renderer and writer refuse (a bad rename, a primary key change, a raw SQL step without SQL for the
 * engine). The message is one line that names the thing and the fix, so the CLI prints it as is.
 */
export class MigrationError extends PlinthError {
  static override readonly code: string = "PLINTH_MIGRATION_ERROR";
  override name = "MigrationError";
}
