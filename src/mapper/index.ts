export * from './dob.js';
export * from './identity.js';
export * from './keys.js';
export * from './migrated.js';
export * from './rollback.js';
export * from './rules.js';
export * from './tiers.js';
export * from './expiry.js';
