/**
 * Runtime configuration. Values are stored as text with a value_type saying how to read them, so
 * getValue hands back a number, a boolean or parsed JSON, and setValue writes any of them.
 */
import type { Db, Row } from "plinth";
import { PlinthError, Repository } from "plinth";
import type { CONFIG_VALUE_TYPES, TaGenerator } from "../schema.js";

export type SystemConfigRow = Row<TaGenerator["tables"]["systemConfig"]>;
export type ConfigValueType = (typeof CONFIG_VALUE_TYPES)[number];
export type ConfigValue = string | number | boolean | unknown[] | Record<string, unknown>;

export class SystemConfigRepository extends Repository<TaGenerator, "system_config"> {
  constructor(db: Db<TaGenerator>) {
    super(db, "system_config");
  }

  getByKey(key: string): Promise<SystemConfigRow | undefined> {
    return this.findOne({ key });
  }

  /** The value of `key`, read as its value_type says; `fallback` when the key is not set. */
  async getValue<T extends ConfigValue | undefined = ConfigValue | undefined>(
    key: string,
    fallback?: T,
  ): Promise<ConfigValue | T> {
    const row = await this.getByKey(key);
    return row ? parseValue(row) : (fallback as T);
  }

  /** Sets `key` (creating it when missing); the value type is inferred unless given. */
  setValue(
    key: string,
    value: ConfigValue,
    options: {
      valueType?: ConfigValueType;
      description?: string;
      isSecret?: boolean;
      updatedBy?: string;
    } = {},
  ): Promise<SystemConfigRow> {
    const valueType = options.valueType ?? typeOf(value);
    return this.upsert(
      {
        key,
        value: valueType === "json" || valueType === "list" ? JSON.stringify(value) : String(value),
        valueType,
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.isSecret !== undefined ? { isSecret: options.isSecret } : {}),
        updatedBy: options.updatedBy ?? null,
      },
      { conflict: ["key"] },
    );
  }

  /** Every setting that is not secret, by key: what a settings page may show. */
  getPublicConfigs(): Promise<SystemConfigRow[]> {
    return this.findMany({ where: { isSecret: false }, orderBy: [["key", "asc"]] });
  }
}

function typeOf(value: ConfigValue): ConfigValueType {
  if (typeof value === "number") return "integer";
  if (typeof value === "boolean") return "boolean";
  if (Array.isArray(value)) return "list";
  return typeof value === "string" ? "string" : "json";
}

export function parseValue(row: Pick<SystemConfigRow, "key" | "value" | "valueType">): ConfigValue {
  switch (row.valueType as ConfigValueType) {
    case "integer": {
      const n = Number(row.value);
      if (!Number.isInteger(n))
        throw new PlinthError(`system_config ${row.key}: "${row.value}" is not an integer`);
      return n;
    }
    case "boolean":
      return row.value === "true";
    case "json":
    case "list":
      return JSON.parse(row.value) as ConfigValue;
    default:
      return row.value;
  }
}
