// Defined with the other errors so the engines' migration locks (src/dialect) can raise it too.
export { MigrationError } from "../errors.js";
