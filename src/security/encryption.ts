// Encrypted columns are encoded by the data layer, so the keyring lives below it (src/crypto);
// plinth/security is where users find it.
export * from "../crypto/encryption.js";
