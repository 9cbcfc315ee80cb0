// @tailor/engine for every runtime: no Node, Deno or DOM import here (workerd, Deno, Vercel Edge).
export { createEngine } from './engine.js';
export { TailorError } from './errors.js';
export { SnapshotCache } from './cache.js';
export { parsePublicKeys, parseRequiredSignatures } from './keys.js';
