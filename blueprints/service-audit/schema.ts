/**
 * service-audit: the database layer of a service that records every user action for security,
 * compliance and debugging (`user_actions`, insert-only), next to one small domain table (`author`)
 * that shows the repository pattern.
 */
import { col, schema, table } from "plinth/schema";

/** The outcomes the service records; the column is a plain varchar(50), as declared by the service. */
export const OUTCOMES = ["success", "error", "permission_denied"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const userActions = table(
  "user_actions",
  {
    id: col.id(),
    timestamp: col.timestamp().defaultNow().doc("When the action occurred (UTC)."),
    userId: col.varchar(255).doc("Keycloak user id (the JWT's sub claim)."),
    username: col.varchar(255).doc("Human-readable username (preferred_username)."),
    userRoles: col.json<string[]>().doc("The roles the user had at the time of the action."),
    actionType: col.varchar(100).doc("HTTP method (GET, POST, ...) or WebSocket PkgID."),
    resource: col.varchar(500).doc("The resource accessed: URL path or entity id."),
    outcome: col.varchar(50).doc("success, error or permission_denied."),
    ipAddress: col.varchar(45).nullable().doc("Client IP address (IPv4 or IPv6)."),
    userAgent: col.text().nullable().doc("Browser or client user agent."),
    requestId: col.varchar(100).nullable().doc("UUID correlating the request across services."),
    requestData: col.json().nullable().doc("Request payload, with sensitive values redacted."),
    responseStatus: col.integer().nullable().doc("HTTP status or WebSocket response code."),
    errorMessage: col.text().nullable().doc("Error details when the action failed."),
    durationMs: col.integer().nullable().doc("Processing time in milliseconds."),
  },
  {
    doc: "Audit log of every user action: insert-only.",
    growth: "append-only",
    indexes: [
      ["timestamp"],
      ["userId"],
      ["username"],
      ["actionType"],
      ["outcome"],
      ["requestId"],
      { name: "idx_user_timestamp", columns: ["userId", "timestamp"] },
      { name: "idx_user_action", columns: ["userId", "actionType"] },
    ],
  },
);

export const author = table(
  "author",
  {
    id: col.id(),
    name: col.varchar(255).doc("The author's name."),
  },
  { doc: "An author: the example domain entity, read and written through AuthorRepository.", growth: "slow" },
);

export const serviceAudit = schema({ userActions, author });

export default serviceAudit;
