import type { Rule } from "../engine/types.js";
import { auditWithoutImmutability } from "./audit-without-immutability.js";
import { cascadeDeletesAudit } from "./cascade-deletes-audit.js";
import { constraintProbe } from "./constraint-probe.js";
import { duplicateIndex } from "./duplicate-index.js";
import { enumWithoutCheck } from "./enum-without-check.js";
import { fkCycle } from "./fk-cycle.js";
import { fkTargetNotUnique } from "./fk-target-not-unique.js";
import { fkWithoutIndex } from "./fk-without-index.js";
import { foreignKeysNotEnforced } from "./foreign-keys-not-enforced.js";
import { hotQueryScan } from "./hot-query-scan.js";
import { idColumnWithoutFk } from "./id-column-without-fk.js";
import { integrityCheck } from "./integrity-check.js";
import { jsonNotJsonb } from "./json-not-jsonb.js";
import { jsonWithoutValidation } from "./json-without-validation.js";
import { keyExhaustion } from "./key-exhaustion.js";
import { largeTable } from "./large-table.js";
import { MIGRATION_SAFETY_RULES } from "./migration-lint.js";
import { migrationsNotApplied } from "./migrations-not-applied.js";
import { namingCase } from "./naming-case.js";
import { noPrimaryKey } from "./no-primary-key.js";
import { nullableInMulticolumnFk } from "./nullable-in-multicolumn-fk.js";
import { partitionPlan } from "./partition-plan.js";
import { redundantPrefixIndex } from "./redundant-prefix-index.js";
import { schemaDrift } from "./schema-drift.js";
import { secretInPlaintext } from "./secret-in-plaintext.js";
import { softDeleteUnique } from "./soft-delete-unique.js";
import { sqliteNotStrict } from "./sqlite-not-strict.js";
import { timestampWithoutDefault } from "./timestamp-without-default.js";
import { unusedIndex } from "./unused-index.js";

export { migrationSafetyRule } from "./migration-lint.js";

/** Every review rule, grouped as the catalogue groups them; findings are sorted, so order is free. */
export const REVIEW_RULES: readonly Rule[] = [
  // structure
  noPrimaryKey,
  namingCase,
  jsonNotJsonb,
  timestampWithoutDefault,
  sqliteNotStrict,
  // integrity
  fkTargetNotUnique,
  nullableInMulticolumnFk,
  fkCycle,
  idColumnWithoutFk,
  enumWithoutCheck,
  jsonWithoutValidation,
  softDeleteUnique,
  cascadeDeletesAudit,
  foreignKeysNotEnforced,
  integrityCheck,
  constraintProbe,
  // indexing
  fkWithoutIndex,
  duplicateIndex,
  redundantPrefixIndex,
  // security
  auditWithoutImmutability,
  secretInPlaintext,
  // migration safety
  schemaDrift,
  migrationsNotApplied,
  ...MIGRATION_SAFETY_RULES,
  // performance / ops
  unusedIndex,
  hotQueryScan,
  keyExhaustion,
  partitionPlan,
  largeTable,
];
