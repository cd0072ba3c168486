/**
 * Seed data for infra-automation, run by `plinth up` after the migrations. It makes `audit_logs`
 * append-only in the database itself (UPDATE and DELETE refused on every engine, whoever writes;
 * only ON DELETE SET NULL may empty `user_id` once its user is gone, so the trail outlives the user),
 * then adds the first administrator, so someone can log in. Idempotent: the triggers are replaced,
 * not duplicated, and no administrator is added once any admin exists.
 *
 * The password never lives in the repository. It is read from INFRA_ADMIN_PASSWORD; without it a
 * random one is generated and printed once (it is only ever stored as an argon2id hash).
 * INFRA_ADMIN_USERNAME and INFRA_ADMIN_EMAIL override the defaults `admin` / `admin@infra.local`.
 */
import { randomBytes } from "node:crypto";
import type { Db } from "plinth";
import { installAppendOnly } from "plinth";
import { UserRepository } from "./repositories/index.js";
import type { infraAutomation } from "./schema.js";

export async function seed(
  db: Db<typeof infraAutomation>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  await installAppendOnly(db, "audit_logs");
  const users = new UserRepository(db);
  if (await users.exists({ role: "admin" })) return [];
  const username = env.INFRA_ADMIN_USERNAME ?? "admin";
  const email = env.INFRA_ADMIN_EMAIL ?? "admin@infra.local";
  const given = env.INFRA_ADMIN_PASSWORD;
  const password = given || randomBytes(18).toString("base64url");
  await users.register({ username, email, password, role: "admin" });
  return [
    given
      ? `users ${username} (admin; password from INFRA_ADMIN_PASSWORD)`
      : `users ${username} (admin; generated password, shown only now: ${password})`,
  ];
}
