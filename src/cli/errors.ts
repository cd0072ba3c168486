import { PlinthError } from "../errors.js";

/** A mistake on the command line or in a file it names: printed as one line, without a stack trace. */
export class CliError extends PlinthError {
  static override readonly code: string = "PLINTH_CLI_ERROR";
  override name = "CliError";
}
