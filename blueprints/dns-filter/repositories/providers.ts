/**
 * The DNS providers dns-filter ships adapters for, with the JSON Schema each one's backend service
 * config must satisfy. The seed stores them in `backend_provider`; from then on the stored schema is
 * the one that counts, so an operator can tighten or loosen it without a release.
 */

/** A JSON Schema (draft-07, what ajv compiles by default). */
export type JsonSchema = Record<string, unknown>;

export interface BuiltInProvider {
  providerCode: string;
  displayName: string;
  description: string;
  configSchema: JsonSchema;
}

const nonEmpty = (description: string) => ({ type: "string", minLength: 1, description });

/**
 * netcup's CCP DNS API logs in with all three credentials, so all three are required; unknown keys
 * are refused so a misspelt one ("apikey") fails at once instead of at the first DNS call.
 */
export const NETCUP_CONFIG_SCHEMA: JsonSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "netcup backend config",
  type: "object",
  properties: {
    customer_id: { type: "string", pattern: "^[0-9]+$", description: "netcup customer number." },
    api_key: nonEmpty("API key from the customer control panel."),
    api_password: nonEmpty("API password from the customer control panel."),
  },
  required: ["customer_id", "api_key", "api_password"],
  additionalProperties: false,
};

/** PowerDNS's HTTP API: where it listens, its X-API-Key, and the server id (nearly always "localhost"). */
export const POWERDNS_CONFIG_SCHEMA: JsonSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "PowerDNS backend config",
  type: "object",
  properties: {
    api_url: { type: "string", pattern: "^https?://[^\\s/]+", description: "Base URL of the HTTP API." },
    api_key: nonEmpty("The server's api-key setting."),
    server_id: { ...nonEmpty("Server id in API paths."), default: "localhost" },
  },
  required: ["api_url", "api_key"],
  additionalProperties: false,
};

export const BUILT_IN_PROVIDERS: readonly BuiltInProvider[] = [
  {
    providerCode: "netcup",
    displayName: "netcup DNS API",
    description: "netcup's CCP DNS API.",
    configSchema: NETCUP_CONFIG_SCHEMA,
  },
  {
    providerCode: "powerdns",
    displayName: "PowerDNS",
    description: "A PowerDNS authoritative server's HTTP API.",
    configSchema: POWERDNS_CONFIG_SCHEMA,
  },
];
