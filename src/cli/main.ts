import pc from "picocolors";
import { ConnectionError, PlinthError } from "../errors.js";
import { buildProgram } from "./program.js";

const program = buildProgram();

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Every error a user can cause is a PlinthError and its message is the whole story: one line.
  // Anything else is a mistake in plinth (or in a seed module it ran), so the stack is what helps.
  if (error instanceof PlinthError) {
    const label = error instanceof ConnectionError ? "cannot connect" : "error";
    console.error(`${pc.red(`plinth: ${label}:`)} ${error.message}`);
  } else {
    console.error(
      pc.red(
        "plinth: internal error: this is a bug in plinth (or in the seed module it ran); please report it with the stack below",
      ),
    );
    console.error(error);
  }
  // A command may have chosen its own failure code (schema diff: 2, so 1 can mean "drift").
  if (!process.exitCode) process.exitCode = 1;
}
