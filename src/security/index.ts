/**
 * plinth/security: password hashing, API tokens, encrypted columns, TOTP, roles, realm
 * authorization and the settings store. Each part is its own module; this file only re-exports.
 */
export * from "./authorize.js";
export * from "./cidr.js";
export * from "./encryption.js";
export * from "./key-rotation.js";
export * from "./password-policy.js";
export * from "./passwords.js";
export * from "./realms.js";
export * from "./roles.js";
export * from "./settings.js";
export * from "./tokens.js";
export * from "./totp.js";
