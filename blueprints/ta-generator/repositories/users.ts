/** Users: look-ups by login name, e-mail and SSO identity, search, and their roles. */
import type { Db, VisibleRowOf } from "plinth";
import { Repository } from "plinth";
import type { TaGenerator, UserRoleName } from "../schema.js";
import { RoleRepository } from "./roles.js";

/** A user as reads return it: without the password hash, which only `withHidden` reads. */
export type UserRow = VisibleRowOf<TaGenerator, "users">;

export class UserRepository extends Repository<TaGenerator, "users"> {
  private readonly roles: RoleRepository;

  constructor(db: Db<TaGenerator>) {
    super(db, "users");
    this.roles = new RoleRepository(db);
  }

  getByUsername(username: string): Promise<UserRow | undefined> {
    return this.findOne({ username });
  }

  getByEmail(email: string): Promise<UserRow | undefined> {
    return this.findOne({ email });
  }

  /** The user signed in through `provider` under the provider's id `externalId`. */
  getByExternalId(externalId: string, provider: string): Promise<UserRow | undefined> {
    return this.findOne({ externalId, authProvider: provider });
  }

  /** The user with the names of their roles. */
  async getWithRoles(id: string): Promise<(UserRow & { roles: UserRoleName[] }) | undefined> {
    const user = await this.getById(id);
    return user && { ...user, roles: await this.roles.getUserRoles(id) };
  }

  /**
   * Users whose username, e-mail or full name contains `term` (case-insensitive; `%` and `_` in the
   * term are LIKE wildcards), ordered by username.
   */
  searchUsers(term: string, options: { skip?: number; limit?: number } = {}): Promise<UserRow[]> {
    const pattern = `%${term.toLowerCase()}%`;
    return this.findMany({
      where: (eb) =>
        eb.or(
          (["username", "email", "fullName"] as const).map((c) =>
            eb(eb.fn("lower", [eb.ref(c)]), "like", eb.val(pattern)),
          ),
        ),
      orderBy: [["username", "asc"]],
      limit: options.limit ?? 100,
      offset: options.skip ?? 0,
    });
  }

  /** Active users who hold the role. */
  getUsersByRole(name: UserRoleName): Promise<UserRow[]> {
    return this.findMany({
      where: (eb) =>
        eb.and([
          eb("isActive", "=", true),
          eb(
            "id",
            "in",
            eb
              .selectFrom("user_roles")
              .innerJoin("roles", "roles.id", "user_roles.roleId")
              .select("user_roles.userId")
              .where("roles.name", "=", name),
          ),
        ]),
      orderBy: [["username", "asc"]],
    });
  }

  updateLastLogin(id: string, at: Date = new Date()): Promise<UserRow> {
    return this.update(id, { lastLogin: at });
  }
}
