// TailorError: every failure of the package, with a stable string `code` (docs/api.md) and, for
// errors the core reported, its numeric `status`.

// Index = the core's status code (tailor::Code, wasm/tailor.h).
export const CORE_CODES = ['ok', 'invalid_argument', 'parse_error', 'snapshot_invalid', 'snapshot_wrong_identifier',
  'snapshot_incompatible', 'no_snapshot', 'unknown_slot', 'limit_exceeded', 'profile_invalid', 'not_found',
  'io_error', 'internal', 'tenant_mismatch'];

export class TailorError extends Error {
  constructor(code, message, status = undefined) {
    super(message);
    this.name = 'TailorError';
    this.code = code;
    this.status = status;
  }
}

export function coreError(status, message) {
  return new TailorError(CORE_CODES[status] ?? 'internal', message || `tailor status ${status}`, status);
}
