// Types of @tailor/engine (hand-written; the JS is the implementation, docs/api.md the contract).

declare global {
  // Node 20 and TypeScript libs before esnext.disposable lack it; the package falls back to
  // Symbol.for('Symbol.dispose') at run time.
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

/** Core status names (docs/api.md) plus the package's own. */
export type TailorErrorCode =
  | 'invalid_argument' | 'parse_error' | 'snapshot_invalid' | 'snapshot_wrong_identifier'
  | 'snapshot_incompatible' | 'no_snapshot' | 'unknown_slot' | 'limit_exceeded' | 'profile_invalid'
  | 'not_found' | 'io_error' | 'internal' | 'tenant_mismatch'
  | 'disposed' | 'signature_missing' | 'signature_invalid' | 'signature_insufficient' | 'digest_mismatch';

export class TailorError extends Error {
  constructor(code: TailorErrorCode, message: string, status?: number);
  readonly name: 'TailorError';
  readonly code: TailorErrorCode;
  /** The core's numeric status (wasm/tailor.h) when the core reported the error. */
  readonly status: number | undefined;
}

/** A WASI preview1 host to use instead of the built-in shim (node:wasi's `WASI` fits). */
export interface WasiHost {
  getImportObject(): WebAssembly.Imports;
  initialize(instance: WebAssembly.Instance): void;
}

export interface CreateEngineOptions {
  /** tailor.wasm, already compiled (Workers and Vercel Edge cannot compile from bytes). */
  module: WebAssembly.Module;
  wasi?: WasiHost;
  /** Binds the engine to one tenant: every loadSnapshot refuses (`tenant_mismatch`, before
   * activation) a snapshot built for another tenant. */
  tenant?: string;
}

/** Instantiates tailor.wasm (one instance and heap per engine). Everything after this is sync
 * except loadSnapshot, whose signature check uses WebCrypto. */
export function createEngine(options: CreateEngineOptions): Promise<Engine>;

export interface SignatureEnvelope {
  schema: 1;
  /** Hex SHA-256 of the snapshot bytes. */
  sha256: string;
  signatures: Array<{
    /** First 16 hex characters of SHA-256 of the raw 32-byte public key. */
    key_id: string;
    alg: 'ed25519';
    /** Base64 Ed25519 signature over the 32 raw digest bytes. */
    sig: string;
  }>;
}

export interface LoadSnapshotOptions {
  /** Trusted Ed25519 public keys (extractable CryptoKeys or raw 32-byte keys). When given, the
   * snapshot is activated only if `signature` verifies. */
  publicKeys?: ReadonlyArray<CryptoKey | Uint8Array>;
  /** The envelope, parsed or as its JSON text/bytes. */
  signature?: SignatureEnvelope | string | Uint8Array;
  /** Distinct trusted keys that must have signed (default 1). */
  requiredSignatures?: number;
  /** Refuse (`tenant_mismatch`, before activation) a snapshot whose tenant id differs. Defaults
   * to the engine's bound tenant; naming another tenant than the bound one throws. */
  tenant?: string;
}

export interface SnapshotInfo {
  tenant: string;
  version: string;
  /** Hex SHA-256 of the snapshot bytes. */
  hash: string;
  built_at: number;
  items: number;
  bytes: number;
}

/** A line of a `request`-sourced slot: an item id, or `{id, quantity}` with that line's own
 * quantity (B2B, docs/b2b.md). */
export type SlotRequestItem = string | { id: string; quantity?: number };
export type SlotRequest = string | { id: string; size?: number; items?: SlotRequestItem[] };

/** docs/api.md "Request"; unknown fields are ignored by the core. */
export interface DecisionRequest {
  slots: SlotRequest[];
  tenant?: string;
  site?: string;
  now?: number;
  user?: { id?: string; [field: string]: unknown };
  consent?: string[];
  exclude?: string[];
  explain?: boolean;
  segments?: string[];
  /** Custom facts for targeting conditions (docs/targeting.md): ≤ 64 keys of scalars or arrays of scalars. */
  context?: Record<string, string | number | boolean | null | Array<string | number | boolean | null>>;
  /** Sticky experiment assignments from an earlier decision: experiment id -> variation key
   * (docs/experiments.md), ≤ 1000. */
  assignments?: Record<string, string>;
  /** ISO 3166-1 alpha-2 ("DE") for jurisdiction policies (docs/compliance.md). */
  country?: string;
  /** ISO 3166-2 ("DE-BY"), in `country`; sets `country` when that is absent. */
  region?: string;
  /** Age in years (0–150) for min_age policies. */
  age?: number;
  /** Licences the visitor holds (e.g. "prescription") for licence policies. */
  licences?: string[];
  /** B2B account id (docs/b2b.md): entitlements, contract prices, spending limits. */
  account?: string;
  /** B2B buyer: their id and role (spending limit and approver). */
  buyer?: { id?: string; role?: string };
  /** Units per line, 1–1,000,000,000 (default 1): picks quantity tiers and spending checks. */
  quantity?: number;
  /** ISO 4217 currency wanted for prices ("EUR"). */
  currency?: string;
  [field: string]: unknown;
}

export interface ExplainTerm { name: string; value: number; weight: number; contribution: number }
export interface ExplainRule { id: string; action: 'boost' | 'bury' | 'pin'; amount?: number; position?: number }
/** A stage plugin's note on an item (docs/plugins.md). */
export interface ExplainStage { name: string; note: string }
/** Why the diversity stage moved or demoted an item (docs/config.md#diversity). */
export interface ExplainDiversity {
  /** Rank without diversity. */
  score_rank: number;
  /** Demoted after the within-cap items by this cap. */
  over_cap?: 'brand' | 'category' | 'attribute';
  /** MMR: largest cosine to the items chosen before it (pins included). */
  similarity?: number;
  /** MMR: (1 - lambda) * similarity. */
  penalty?: number;
}

export interface DecisionExplain {
  terms: ExplainTerm[];
  rules?: ExplainRule[];
  /** The consent policy that scored this item without profile-based terms. */
  profile_off_by?: string;
  stages?: ExplainStage[];
  diversity?: ExplainDiversity;
  /** B2B: why the item needs approval, in words. */
  approval?: string;
}

/** B2B: where the price came from (docs/b2b.md). */
export interface PriceSource {
  level: 'account' | 'parent' | 'segment' | 'site' | 'list';
  /** The price list; absent for the catalog price. */
  list?: string;
  /** Whose contract, for `account`/`parent`. */
  account?: string;
}

/** B2B: the line's amount is above the buyer's spending limit. */
export interface NeedsApproval { approver_role: string | null; limit: number; amount: number }

export interface DecisionItem {
  id: string;
  rank: number;
  score: number;
  /** The site's own title when the site overrides it (docs/tenancy.md). */
  title?: string;
  category?: string;
  brand?: string;
  /** List price; with B2B pricing the selected price, `null` when none applies in the currency. */
  price?: number | null;
  /** B2B: ISO 4217 currency of `price`. */
  currency?: string;
  price_source?: PriceSource;
  /** B2B: the `min_quantity` of the applied price entry. */
  tier?: number;
  /** B2B: the line's quantity when it is not 1. */
  quantity?: number;
  needs_approval?: NeedsApproval;
  pinned?: string;
  explain?: DecisionExplain;
}

/** A compliance policy in effect for the request (docs/compliance.md). */
export interface DecisionPolicy {
  id: string;
  kind: string;
  /** Candidates it removed. */
  removed: number;
  /** Consent policies: survivors scored without profile-based terms. */
  profile_off?: number;
}

/** What a slot's diversity stage did (docs/config.md#diversity). */
export interface DecisionDiversity {
  moved: number;
  capped_brand: number;
  capped_category: number;
  capped_attribute?: number;
  demoted: number;
  dropped: number;
}

export interface DecisionSlot {
  id: string;
  strategy: string;
  items: DecisionItem[];
  candidates: number;
  filtered: Record<string, number>;
  terms_off: string[];
  /** Present when the slot's targeting condition is false: no items. */
  skipped?: 'condition';
  /** Present when the snapshot has policies: every policy in effect for this request. */
  policies?: DecisionPolicy[];
  /** Present for slots with a diversity config. */
  diversity?: DecisionDiversity;
}

/** An experiment with a slot in this request (docs/experiments.md). */
export interface DecisionExperiment {
  id: string;
  /** The variation applied; absent when none. */
  variation?: string;
  index?: number;
  how?: 'sticky' | 'hash' | 'epsilon' | 'thompson' | 'forced';
  in_experiment: boolean;
  /** Why the visitor is not in the experiment. */
  reason?: 'condition' | 'no_consent' | 'no_hash_attribute' | 'namespace' | 'coverage';
}

/** One exposure record per experiment the visitor is in, for analytics and bandit feedback. */
export interface Exposure {
  experiment: string;
  variation: string;
  index: number;
  how: 'sticky' | 'hash' | 'epsilon' | 'thompson';
  allocation: 'fixed' | 'epsilon_greedy' | 'thompson';
  /** P(the current policy gives this visitor this variation), coverage included. */
  propensity: number;
  /** The experiment's slots this request shows. */
  slots: string[];
}

/** A targeting condition that could not be evaluated and counted as false. */
export interface ConditionError { of: 'segment' | 'rule' | 'slot' | 'experiment' | 'policy'; id: string; error: string }

/** docs/api.md "Decision". */
export interface Decision {
  tenant: string;
  snapshot: { version: string; hash: string; built_at: number };
  site?: string;
  now: number;
  personalized: boolean;
  /** Present when the snapshot defines segments: the ones the request is in. */
  segments?: string[];
  /** Present when the snapshot defines experiments. */
  experiments?: DecisionExperiment[];
  /** Present when the snapshot defines experiments. */
  exposures?: Exposure[];
  slots: DecisionSlot[];
  condition_errors?: ConditionError[];
}

export interface DecideOptions {
  /** A `.tprof` profile built by `tailor profiles`; null or absent for none (e.g. a KV miss). */
  profile?: Uint8Array | ArrayBuffer | null;
}

export interface Engine {
  /** Verifies (when publicKeys are given) and activates a snapshot. On any failure the previous
   * snapshot keeps serving. Concurrent loads apply in call order. */
  loadSnapshot(bytes: Uint8Array | ArrayBuffer, options?: LoadSnapshotOptions): Promise<SnapshotInfo>;
  decide(request: DecisionRequest | string, options?: DecideOptions): Decision;
  /** The decision JSON exactly as the core wrote it. */
  decideRaw(request: DecisionRequest | string, options?: DecideOptions): string;
  /** The active snapshot, or null before the first successful load. */
  snapshotInfo(): SnapshotInfo | null;
  /** The tenant bound by createEngine({tenant}), or undefined. */
  readonly tenant: string | undefined;
  /** This engine's wasm linear memory in bytes (grows, never shrinks). */
  readonly memoryBytes: number;
  /** Frees the engine; later calls throw TailorError `disposed`. Idempotent. */
  dispose(): void;
  [Symbol.dispose](): void;
}

export interface SnapshotManifest {
  version: string;
  /** When present, the fetched bytes must hash to it (else `digest_mismatch`). */
  sha256?: string;
  [field: string]: unknown;
}

export interface FetchedSnapshot {
  bytes: Uint8Array | ArrayBuffer;
  signature?: SignatureEnvelope | string | Uint8Array;
}

export interface SnapshotCacheOptions {
  fetchManifest(tenant: string): Promise<SnapshotManifest>;
  fetchSnapshot(tenant: string, version: string): Promise<FetchedSnapshot>;
  /** A new engine for `tenant`; pass the tenant on (`createEngine({ module, tenant })`) to bind it. */
  createEngine(tenant: string): Engine | Promise<Engine>;
  /** How long a checked version is trusted before a background refresh (default 60000). */
  ttlMs?: number;
  /** Keys for every tenant, or per tenant. When absent, snapshots are not signature-checked. */
  publicKeys?: ReadonlyArray<CryptoKey | Uint8Array>
    | ((tenant: string) => ReadonlyArray<CryptoKey | Uint8Array> | Promise<ReadonlyArray<CryptoKey | Uint8Array>>);
  /** Distinct trusted signatures needed, for every tenant or per tenant (undefined: 1). */
  requiredSignatures?: number | ((tenant: string) => number | undefined);
  /** Clock in milliseconds (default Date.now). */
  now?: () => number;
}

export interface SnapshotCacheStatus {
  /** The manifest version serving. */
  version: string;
  snapshot: SnapshotInfo;
  loadedAt: number;
  /** When the origin was last asked (successfully or not). */
  checkedAt: number;
  refreshing: boolean;
  /** Why the last refresh failed; null after a successful check. */
  lastError: unknown;
}

export class SnapshotCache {
  constructor(options: SnapshotCacheOptions);
  /** The tenant's engine: the first call waits for the load, later calls return at once and
   * start a background refresh once the TTL has passed. Pass a Worker's `ctx.waitUntil` to keep
   * that refresh alive after the response. */
  engineFor(tenant: string, options?: { waitUntil?: (promise: Promise<unknown>) => void }): Promise<Engine>;
  /** Undefined until the tenant's first load has succeeded. */
  status(tenant: string): SnapshotCacheStatus | undefined;
}

/** Approvers' public keys from an edge setting: comma-separated 64-hex (recommended, what
 * `tailor keys` prints) or base64 keys, or a JSON array (or its text) of either. `undefined` for
 * an absent or empty setting; throws `invalid_argument` naming `what` otherwise. */
export function parsePublicKeys(value: string | Array<string | Uint8Array> | undefined | null, what?: string): Uint8Array[] | undefined;
/** A required signature count from a setting: an integer 1..64 or its text; `undefined` when absent. */
export function parseRequiredSignatures(value: string | number | undefined | null, what?: string): number | undefined;
