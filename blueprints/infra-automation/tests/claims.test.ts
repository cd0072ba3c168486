import { describe, expect, it } from "vitest";
import { describeSeedClaims } from "../../../test/helpers/seed-claims.js";
import { infraAutomation } from "../schema.js";
import { infraAutomationClaims } from "./claims.js";

describeSeedClaims(infraAutomationClaims);

/** Rules the database does not hold: the declaration carries them for the jobs that act on them. */
describe("infra-automation: the seed's retention rules, declared", () => {
  const meta = (name: string) => infraAutomation.model.tables.find((t) => t.name === name)?.meta;

  it("keeps audit_logs at least one year and never updates them (Security: retention 1 year minimum)", () => {
    expect(meta("audit_logs")?.retention?.days).toBeGreaterThanOrEqual(365);
    expect(meta("audit_logs")?.retention?.column).toBe("created_at");
    expect(meta("audit_logs")?.growth).toBe("append-only");
  });

  it("lets job_logs go after 90 days (Recommended: archival strategy for logs > 90 days)", () => {
    expect(meta("job_logs")?.retention).toEqual({ days: 90, column: "logged_at" });
    expect(meta("job_logs")?.growth).toBe("append-only");
  });
});
